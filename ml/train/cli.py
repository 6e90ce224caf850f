"""`sloughgpt train`, `sloughgpt eval` and `sloughgpt generate`.

sloughgpt train --config configs/nanogpt-shakespeare-char.toml --set train.max_iters=500
sloughgpt train --config ... --resume          # continue out_dir/last after Ctrl-C
sloughgpt eval out/best --data valid.txt       # perplexity
sloughgpt eval --predictions gen.txt --references refs.txt   # BLEU, chrF, ROUGE
sloughgpt generate out/best --prompt "ROMEO:" --temperature 0.8 --top-k 50
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import sys
from pathlib import Path

from ml.config import ConfigError
from ml.infer.cli import add_sampling_flags


def register(subparsers: argparse._SubParsersAction) -> None:
    train = subparsers.add_parser("train", help="train or fine-tune a model from a TOML config")
    train.add_argument("--config", help="TOML file with [model] [data] [optim] [train] [lora]")
    train.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value by dotted key, e.g. optim.lr=3e-4",
    )
    train.add_argument("--resume", action="store_true", help="continue from out_dir/last")
    train.set_defaults(func=run_train)

    evaluate = subparsers.add_parser("eval", help="perplexity of a checkpoint, or text metrics")
    evaluate.add_argument("checkpoint", nargs="?", help="checkpoint directory (for perplexity)")
    evaluate.add_argument("--data", help="text file or dataset to measure perplexity on")
    evaluate.add_argument("--batch-size", type=int, default=8)
    evaluate.add_argument("--max-batches", type=int, default=0, help="0 scores all the data")
    evaluate.add_argument("--predictions", help="file of generated texts, one per line")
    evaluate.add_argument("--references", help="file of reference texts, one per line")
    evaluate.set_defaults(func=run_eval)

    generate = subparsers.add_parser(
        "generate", help="sample text from a checkpoint directory or a .sou file"
    )
    generate.add_argument("checkpoint", help="checkpoint directory, or a .sou file")
    generate.add_argument("--prompt", required=True)
    generate.add_argument(
        "--chat", action="store_true", help="wrap the prompt in the model's chat template"
    )
    # Unset flags keep the defaults below for checkpoints and the file's own for .sou files.
    add_sampling_flags(generate)
    generate.set_defaults(func=run_generate)


def run_train(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ml.train import Callbacks, load_train_config, train

    try:
        cfg = load_train_config(args.config, args.overrides)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.resume:
        cfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, resume=True))
    start = _resumed_step(cfg) if cfg.train.resume else 0

    interrupted = []

    def on_sigint(signum, frame):
        # First Ctrl-C: finish the step, save `last`, stop. A second one aborts at once.
        interrupted.append(True)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, on_sigint)
    # Under torchrun only the first process draws the bar and prints the result.
    main_process = os.environ.get("RANK", "0") == "0"
    bar = tqdm(
        total=cfg.train.max_iters,
        initial=start,
        unit="step",
        dynamic_ncols=True,
        disable=not main_process,
    )
    postfix: dict[str, str] = {}

    def on_metrics(step: int, values: dict[str, float]) -> None:
        if "loss" in values:
            postfix.update(loss=f"{values['loss']:.4f}", tok_s=f"{values['tokens_per_s']:.0f}")
        if "val_loss" in values:
            postfix.update(val=f"{values['val_loss']:.4f}")
        bar.set_postfix(postfix, refresh=False)
        bar.update(step - bar.n)

    callbacks = Callbacks(
        on_metrics=on_metrics, on_log=bar.write, should_stop=lambda: bool(interrupted)
    )
    try:
        result = train(cfg, callbacks)
    finally:
        bar.close()
        signal.signal(signal.SIGINT, previous)
    if main_process:
        print(json.dumps(dataclasses.asdict(result)))
    if result.stopped == "cancelled":
        print(
            f"stopped; continue with: sloughgpt train --config {args.config} --resume",
            file=sys.stderr,
        )
        return 130
    return 0


def _resumed_step(cfg) -> int:
    state = Path(cfg.train.out_dir) / "last" / "trainer_state.json"
    return json.loads(state.read_text())["step"] if state.is_file() else 0


def run_eval(args: argparse.Namespace) -> int:
    if args.predictions or args.references:
        from ml.eval.text_metrics import text_scores

        if not (args.predictions and args.references):
            print("error: --predictions and --references go together", file=sys.stderr)
            return 2
        predictions = Path(args.predictions).read_text(encoding="utf-8").splitlines()
        references = Path(args.references).read_text(encoding="utf-8").splitlines()
        print(json.dumps(text_scores(predictions, references)))
        return 0
    if not (args.checkpoint and args.data):
        print(
            "error: give a checkpoint and --data, or --predictions and --references",
            file=sys.stderr,
        )
        return 2
    from ml.eval.perplexity import perplexity_of_dataset
    from ml.train import load_checkpoint

    model, tokenizer, meta = load_checkpoint(args.checkpoint)
    result = perplexity_of_dataset(
        model,
        tokenizer,
        args.data,
        meta.model_config.block_size,
        args.batch_size,
        args.max_batches,
        meta.chat_template,
        (meta.eos_token_ids or [None])[0],
    )
    print(json.dumps(dataclasses.asdict(result)))
    return 0


# Sampling used for a checkpoint when a flag is not given (a .sou file carries its own).
CHECKPOINT_SAMPLING = {"temperature": 0.8, "top_k": 0, "top_p": 1.0, "min_p": 0.0,
                       "repetition_penalty": 1.0, "max_tokens": 200}


def run_generate(args: argparse.Namespace) -> int:
    if args.checkpoint.endswith(".sou"):
        from ml.infer.cli import generate_command

        args.file = args.checkpoint
        return generate_command(args)
    for key, default in CHECKPOINT_SAMPLING.items():
        if getattr(args, key) is None:
            setattr(args, key, default)
    from ml.data.chat import render_chat
    from ml.eval.generation import generate_ids
    from ml.infer.sampling import SamplingParams
    from ml.train import load_checkpoint

    model, tokenizer, meta = load_checkpoint(args.checkpoint)
    bos = meta.bos_token_id
    if args.chat:
        if not meta.chat_template:
            print("error: this checkpoint has no chat template", file=sys.stderr)
            return 2
        bos_text = tokenizer.id_to_token(bos) if bos is not None else ""
        prompt = render_chat(
            meta.chat_template,
            [{"role": "user", "content": args.prompt}],
            add_generation_prompt=True,
            bos_token=bos_text or "",
        )
        prompt_ids = tokenizer.encode(prompt, add_special_tokens=False).ids
    else:
        prefix = [bos] if bos is not None else []
        prompt_ids = prefix + tokenizer.encode(args.prompt, add_special_tokens=False).ids
    params = SamplingParams(
        args.temperature, args.top_k, args.top_p, args.min_p, args.repetition_penalty
    )
    produced: list[int] = []
    printed = 0

    def on_token(token: int) -> None:
        # Decode everything so far and print the new part: multi-byte characters span tokens.
        nonlocal printed
        produced.append(token)
        text = tokenizer.decode(produced)
        if not text.endswith("\ufffd"):
            sys.stdout.write(text[printed:])
            sys.stdout.flush()
            printed = len(text)

    sys.stdout.write(args.prompt if not args.chat else "")
    generate_ids(
        model,
        prompt_ids,
        params,
        args.max_tokens,
        meta.model_config.block_size,
        stop_ids=set(meta.eos_token_ids),
        seed=args.seed,
        on_token=on_token,
    )
    sys.stdout.write(tokenizer.decode(produced)[printed:] + "\n")
    return 0
