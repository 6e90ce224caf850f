"""`sloughgpt quantize` and `sloughgpt sou inspect|verify`: the `.sou` commands."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

from ml.sou.api import KV_DTYPE_BYTES, memory_estimate, read_sou, verify
from ml.sou.errors import SouFormatError
from ml.sou.quant import EXPORT_TYPES, OUTPUT_TYPES, QuantPolicy
from ml.sou.requantize import quantize_file


def register(subparsers) -> None:
    quantize = subparsers.add_parser("quantize", help="rewrite a .sou file with another type")
    quantize.add_argument("input", metavar="IN", help="source .sou file")
    quantize.add_argument("output", metavar="OUT", help="destination .sou file")
    quantize.add_argument("--type", dest="qtype", required=True, choices=list(EXPORT_TYPES))
    quantize.add_argument("--keep-embeddings", action=argparse.BooleanOptionalAction,
                          default=QuantPolicy.keep_embeddings,
                          help="keep embedding tables at F16 when quantizing to a block type")
    quantize.add_argument("--keep-output", action=argparse.BooleanOptionalAction,
                          default=QuantPolicy.keep_output,
                          help="keep the output head at --output-type when quantizing to a "
                               "block type")
    quantize.add_argument("--output-type", choices=list(OUTPUT_TYPES),
                          default=QuantPolicy.output_type,
                          help="type of a kept output head (default Q8_0)")
    quantize.add_argument("--allow-upcast", action="store_true",
                          help="convert tensors stored below the target precision anyway")
    quantize.set_defaults(func=_quantize)

    sou = subparsers.add_parser("sou", help="inspect and verify .sou files")
    actions = sou.add_subparsers(dest="sou_command", metavar="ACTION", required=True)
    inspect = actions.add_parser("inspect", help="metadata, tensors and memory needed")
    inspect.add_argument("file", metavar="FILE")
    inspect.add_argument("--context", type=int, default=None,
                         help="context length for the memory estimate (default: the config's)")
    inspect.add_argument("--batch", type=int, default=1)
    inspect.add_argument("--kv-dtype", choices=list(KV_DTYPE_BYTES), default="F16")
    inspect.add_argument("--json", action="store_true", help="print one JSON object")
    inspect.set_defaults(func=_inspect)
    check = actions.add_parser("verify", help="check the structure and every checksum")
    check.add_argument("file", metavar="FILE")
    check.set_defaults(func=_verify)
    # import/export live with the converters, which need the models and the trainer.
    from ml.sou.convert_cli import register_actions

    register_actions(actions)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _quantize(args) -> int:
    policy = QuantPolicy(keep_embeddings=args.keep_embeddings, keep_output=args.keep_output,
                         output_type=args.output_type)
    try:
        report = quantize_file(args.input, args.output, args.qtype, policy,
                               allow_upcast=args.allow_upcast)
    except (SouFormatError, OSError, ValueError) as exc:
        return _fail(str(exc))
    print(f"{args.input} -> {args.output} ({report.qtype})")
    print(f"file size: {report.file_bytes_before:,} -> {report.file_bytes_after:,} bytes")
    for type_name, count in sorted(report.tensors_by_type_after.items()):
        print(f"  {type_name:<5} {count:>5} tensors {report.bytes_by_type_after[type_name]:>15,} "
              "bytes")
    for warning in report.warnings:
        print(f"warning: {warning}")
    return 0


def _summary(sou, args) -> dict:
    count, size = Counter(), Counter()
    for info in sou.tensor_infos:
        count[info.type_name] += 1
        size[info.type_name] += info.length
    metadata = json.loads(json.dumps(sou.metadata))
    metadata["generation"] = sou.generation  # what a chat would use, defaults filled in
    tokenizer = metadata.get("tokenizer", {})
    if tokenizer.get("hf_json") is not None:  # megabytes of vocabulary help no one here
        tokenizer["hf_json"] = f"<{len(tokenizer['hf_json'].encode())} bytes>"
    context = args.context or sou.config.get("block_size") or sou.config.get("n_ctx") or 2048
    try:
        memory = memory_estimate(sou, context, args.batch, args.kv_dtype)
    except ValueError as exc:
        memory = {"error": str(exc)}
    return {
        "file": str(sou.path),
        "version": f"{sou.version[0]}.{sou.version[1]}",
        "file_size": sou.file_size,
        "metadata": metadata,
        "tensors": [{"name": i.name, "type": i.type_name, "shape": list(i.shape),
                     "offset": i.offset, "bytes": i.length} for i in sou.tensor_infos],
        "bytes_by_type": {t: {"tensors": count[t], "bytes": size[t]} for t in sorted(count)},
        "memory": memory,
    }


def _print_summary(summary: dict) -> None:
    print(f"{summary['file']}: .sou {summary['version']}, {summary['file_size']:,} bytes")
    for section, value in summary["metadata"].items():
        print(f"{section}: {json.dumps(value, ensure_ascii=False)}")
    print(f"tensors ({len(summary['tensors'])}):")
    width = max((len(t["name"]) for t in summary["tensors"]), default=4)
    for t in summary["tensors"]:
        shape = "x".join(str(d) for d in t["shape"]) or "scalar"
        print(f"  {t['name']:<{width}}  {t['type']:<5} {shape:<16} {t['bytes']:>15,}")
    print("bytes per type:")
    for type_name, row in summary["bytes_by_type"].items():
        print(f"  {type_name:<5} {row['tensors']:>5} tensors {row['bytes']:>15,} bytes")
    memory = summary["memory"]
    if "error" in memory:
        print(f"memory: unknown ({memory['error']})")
        return
    print(f"memory (context {memory['context_length']}, batch {memory['batch']}, KV "
          f"{memory['kv_dtype']}): weights {memory['weights_bytes']:,} + KV cache "
          f"{memory['kv_cache_bytes']:,} = {memory['total_bytes']:,} bytes")


def _inspect(args) -> int:
    try:
        with read_sou(args.file) as sou:
            summary = _summary(sou, args)
    except (SouFormatError, OSError) as exc:
        return _fail(str(exc))
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        _print_summary(summary)
    return 0


def _verify(args) -> int:
    try:
        problems = verify(args.file)
    except OSError as exc:
        return _fail(str(exc))
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(f"{args.file}: OK")
    return 0
