"""The `sloughgpt persona` command group: `score` measures texts and their alignment with a
personality, `create` writes a config (archetype) or learned personality file, `train` fits a
neural persona space from labelled JSON lines, `steer` writes a model file that carries a
personality's steering vectors, and `eval` measures a model's answers to a probe set with and
without a personality (system prompt, steering, persona LoRA). Output is JSON on stdout (`eval`
prints its table first); input errors print one `error:` line on stderr and exit with status 2."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from ml.data.errors import DataFormatError

TEXT_FILE_HELP = "a .jsonl file ({'text': ...} per line) or a text file with one text per line"


def read_texts(path: Path) -> list[str]:
    """Texts from a JSON-lines file (`text` field) or a plain file, one text per line."""
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFormatError(str(path), 0, str(exc)) from exc
    if path.suffix != ".jsonl":
        return [line.strip() for line in content.splitlines() if line.strip()]
    texts = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataFormatError(str(path), number, f"invalid JSON: {exc.msg}") from exc
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise DataFormatError(
                str(path), number, "expected an object with a string 'text' field"
            )
        texts.append(record["text"])
    return texts


def resolve_personality(spec: str):
    """A personality JSON file, a portal download (zip) or its unpacked folder, or else an
    archetype name."""
    from ml.personality import ConfigPersonality, load_personality

    if spec.endswith((".json", ".zip")) or Path(spec).is_file() or Path(spec).is_dir():
        return load_personality(spec)
    return ConfigPersonality.from_archetype(spec)


def cmd_score(args: argparse.Namespace) -> int:
    from ml.personality.metrics import measure, profile_of

    source = Path(args.text)
    texts = read_texts(source) if source.is_file() else [args.text]
    if not texts:
        raise DataFormatError(str(source), 0, "no texts")
    measured = measure(texts)
    out: dict = {"texts": len(texts)}
    if len(texts) == 1:
        out["metrics"] = measured[0].values
        out["warnings"] = list(measured[0].warnings)
    else:
        out["profile"] = profile_of(measured).to_dict()
    if args.personality:
        persona = resolve_personality(args.personality)
        scores = persona.score(texts)
        out["personality"] = {"kind": persona.kind, "name": persona.name}
        out["alignment"] = [round(s, 4) for s in scores]
        out["mean_alignment"] = round(sum(scores) / len(scores), 4)
    print(json.dumps(out, indent=2))
    return 0


def cmd_create(args: argparse.Namespace) -> int:
    from ml.personality import ConfigPersonality, LearnedPersonality

    if args.archetype:
        persona = ConfigPersonality.from_archetype(args.archetype)
    elif args.examples and args.background:
        name = args.name or args.examples.stem
        persona = LearnedPersonality.fit(
            name, read_texts(args.examples), read_texts(args.background)
        )
    else:
        raise ValueError("give --archetype NAME, or --examples FILE and --background FILE")
    persona.save(args.out)
    print(json.dumps({"kind": persona.kind, "name": persona.name, "out": str(args.out)}))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from ml.personality.datasets import read_labelled_jsonl
    from ml.personality.neural import NeuralConfig, NeuralPersonaSpace

    texts, labels = read_labelled_jsonl(args.data)
    space = NeuralPersonaSpace.fit(texts, labels, NeuralConfig(epochs=args.epochs, seed=args.seed))
    space.save(args.out)
    files = {}
    for label in space.labels:
        # Each persona file points at its space by a path relative to itself.
        path = args.out / f"persona-{re.sub(r'[^A-Za-z0-9_-]+', '-', label).strip('-') or 'x'}.json"
        space.persona(label, ".").save(path)
        files[label] = str(path)
    train_acc = sum(p == y for p, y in zip(space.classify(texts), labels)) / len(labels)
    print(
        json.dumps(
            {
                "out": str(args.out),
                "labels": space.labels,
                "train_accuracy": round(train_acc, 4),
                "personas": files,
            }
        )
    )
    return 0


def parse_layers(text: str | None) -> list[int] | None:
    """'6,7,8' -> [6, 7, 8]; None stays None (the default layers)."""
    if text is None:
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(
            f"--layers: expected comma-separated block numbers, got {text!r}"
        ) from None


def cmd_steer(args: argparse.Namespace) -> int:
    from ml.personality.steering import SteeringConfig, steer_file

    persona = resolve_personality(args.personality)
    chosen = {
        "strength": args.strength,
        "prompt_scale": args.prompt_scale,
        "contrast": args.contrast,
        "samples": args.samples,
        "keep": args.keep,
        "score": args.score,
    }
    config = SteeringConfig(
        layers=parse_layers(args.layers),
        project_mean=args.project_mean,
        normalize=args.normalize,
        **{key: value for key, value in chosen.items() if value is not None},
    )
    print(json.dumps(steer_file(args.model, persona, args.out, config, device=args.device)))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from ml.personality.evaluate import EvalConfig, evaluate, format_table, load_probes, save_report
    from ml.personality.steering import SteeringConfig

    persona = resolve_personality(args.personality)
    probes = load_probes(args.probes) if args.probes else load_probes()
    config = EvalConfig(
        max_tokens=args.max_tokens,
        steering=SteeringConfig(
            layers=parse_layers(args.layers),
            **({} if args.strength is None else {"strength": args.strength}),
        ),
        strength=args.strength,
        limit=args.limit,
        device=args.device,
    )
    result = evaluate(args.model, persona, lora_path=args.lora, probes=probes, config=config)
    print(format_table(result))
    print(json.dumps(save_report(result, args.out)))
    return 0


def _run(handler):
    from ml.personality.base import PersonalityError
    from ml.personality.lexicons import LexiconUnavailable
    from ml.sou.errors import SouFormatError

    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except (
            DataFormatError,
            PersonalityError,
            LexiconUnavailable,
            SouFormatError,
            ValueError,
            OSError,
        ) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    return run


def register(subparsers) -> None:
    persona = subparsers.add_parser("persona", help="measure, create and train personalities")
    commands = persona.add_subparsers(dest="persona_command", metavar="ACTION", required=True)

    score = commands.add_parser("score", help="metrics of a text (or file) and its alignment")
    score.add_argument("text", metavar="TEXT|FILE", help=f"the text itself, or {TEXT_FILE_HELP}")
    score.add_argument(
        "--personality", metavar="NAME|FILE.json", help="archetype name or personality file"
    )
    score.set_defaults(func=_run(cmd_score))

    create = commands.add_parser("create", help="write a personality file")
    create.add_argument(
        "--archetype", metavar="NAME", help="a config personality from an archetype"
    )
    create.add_argument(
        "--examples", type=Path, metavar="FILE", help=f"persona texts: {TEXT_FILE_HELP}"
    )
    create.add_argument(
        "--background", type=Path, metavar="FILE", help="ordinary texts to contrast with"
    )
    create.add_argument(
        "--name", help="name of a learned personality (default: examples file name)"
    )
    create.add_argument("--out", type=Path, required=True, metavar="FILE.json")
    create.set_defaults(func=_run(cmd_create))

    train = commands.add_parser("train", help="train a neural persona space on labelled texts")
    train.add_argument(
        "--data",
        type=Path,
        required=True,
        metavar="labelled.jsonl",
        help="{'text','label'} per line",
    )
    train.add_argument("--out", type=Path, required=True, metavar="DIR")
    train.add_argument("--epochs", type=int, default=20, help="training passes over the data")
    train.add_argument("--seed", type=int, default=0, help="makes training reproducible")
    train.set_defaults(func=_run(cmd_train))

    steer = commands.add_parser(
        "steer", help="write a copy of a model carrying a personality's steering vectors"
    )
    steer.add_argument("model", type=Path, metavar="MODEL.sou")
    steer.add_argument(
        "--personality",
        required=True,
        metavar="NAME|FILE.json",
        help="archetype name or personality file",
    )
    steer.add_argument("--out", type=Path, required=True, metavar="OUT.sou")
    steer.add_argument(
        "--layers",
        metavar="6,7,8",
        help="decoder blocks to steer (default: one block two fifths of the way up)",
    )
    steer.add_argument(
        "--strength",
        type=float,
        help="default steering strength stored in the file, on generated tokens: the share "
        "of the residual norm added (default 0.06), or with --no-normalize a multiple of the "
        "raw difference",
    )
    steer.add_argument(
        "--prompt-scale",
        type=float,
        help="how many times harder the prompt's positions are steered than generated tokens "
        "(default 3.33: 0.2 with the default strength)",
    )
    steer.add_argument(
        "--contrast",
        choices=("answer", "prompt", "scored"),
        help="what the vectors contrast: greedy answers under the persona vs a neutral system "
        "prompt (answer), the prompts alone (prompt), or the best-scoring of several persona "
        "answers vs the worst-scoring neutral ones (scored, the default)",
    )
    steer.add_argument(
        "--samples",
        type=int,
        help="scored: answers per prompt under each system prompt, the first greedy (default 4)",
    )
    steer.add_argument(
        "--keep", type=int, help="scored: answers kept per prompt on each side (default 1)"
    )
    steer.add_argument(
        "--score",
        choices=("alignment", "sentiment"),
        help="scored: rank answers by the personality's alignment or by VADER sentiment",
    )
    steer.add_argument(
        "--normalize",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="scale each vector to the residual stream's mean token norm at its block",
    )
    steer.add_argument(
        "--project-mean",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="drop each vector's component along the residual stream's mean direction",
    )
    steer.add_argument("--device", help="cpu, cuda, ... (default: CUDA when available)")
    steer.set_defaults(func=_run(cmd_steer))

    evaluate = commands.add_parser(
        "eval", help="answer probes with and without a personality and measure the answers"
    )
    evaluate.add_argument("model", type=Path, metavar="MODEL.sou")
    evaluate.add_argument(
        "--personality",
        required=True,
        metavar="NAME|FILE.json",
        help="archetype name or personality file",
    )
    evaluate.add_argument(
        "--lora",
        type=Path,
        metavar="LORA.sou",
        help="a persona LoRA model (merged) to evaluate too",
    )
    evaluate.add_argument("--max-tokens", type=int, default=64, help="tokens per answer")
    evaluate.add_argument("--limit", type=int, help="use N probes spread over the set")
    evaluate.add_argument(
        "--probes",
        type=Path,
        metavar="FILE.jsonl",
        help="{'category','prompt'} per line (default: the shipped set)",
    )
    evaluate.add_argument(
        "--layers",
        metavar="6,7,8",
        help="blocks to steer: of the file's vectors, or for vectors computed on the fly",
    )
    evaluate.add_argument(
        "--strength",
        type=float,
        help="steering strength on generated tokens; the prompt gets it times the file's "
        "prompt scale (default: the file's, or 0.1)",
    )
    evaluate.add_argument("--device", help="cpu, cuda, ... (default: CUDA when available)")
    evaluate.add_argument(
        "--out",
        type=Path,
        default=Path("persona-eval"),
        metavar="DIR",
        help="where persona_eval.json and persona_eval.png go",
    )
    evaluate.set_defaults(func=_run(cmd_eval))
