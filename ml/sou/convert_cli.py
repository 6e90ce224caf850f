"""`sloughgpt sou import SRC OUT` and `sloughgpt sou export FILE.sou OUT` (a Hugging Face
directory, or a GGUF file for llama.cpp and Ollama): the actions `ml.sou.cli` adds under its
`sou` command through `register_actions(actions)`."""

from __future__ import annotations

import argparse
import sys

from ml.sou.quant import AS_STORED, EXPORT_TYPES, OUTPUT_TYPES, QuantPolicy


def register_actions(actions) -> None:
    """Add `import` and `export` to the `sou` command's subparsers."""
    source = actions.add_parser("import", help="a checkpoint, Hugging Face dir or .gguf to .sou")
    source.add_argument("source", metavar="SRC", help="checkpoint dir, HF model dir or .gguf")
    source.add_argument("output", metavar="OUT", help="the .sou file to write")
    source.add_argument("--type", dest="qtype", default="F16",
                        choices=[*EXPORT_TYPES, AS_STORED],
                        help="tensor type of the matrices (default F16); AS_STORED keeps a "
                             ".gguf file's own blocks (K-quants included) byte for byte")
    source.add_argument("--keep-embeddings", action=argparse.BooleanOptionalAction,
                        default=QuantPolicy.keep_embeddings)
    source.add_argument("--keep-output", action=argparse.BooleanOptionalAction,
                        default=QuantPolicy.keep_output,
                        help="keep the output head at --output-type under a block type")
    source.add_argument("--output-type", choices=list(OUTPUT_TYPES),
                        default=QuantPolicy.output_type,
                        help="type of a kept output head (default Q8_0)")
    source.set_defaults(func=import_command)

    export = actions.add_parser("export", help="a .sou file to a Hugging Face directory or a "
                                              "GGUF file (llama.cpp, Ollama)")
    export.add_argument("file", metavar="FILE.sou")
    export.add_argument("output", metavar="OUT", help="a directory, or a .gguf file")
    export.add_argument("--format", choices=["hf", "gguf"], default=None,
                        help="hf or gguf (default: gguf when OUT ends in .gguf)")
    export.add_argument("--type", dest="qtype", choices=list(EXPORT_TYPES), default=None,
                        help="GGUF only: requantize the weights to this type first (Q4_K_M is "
                             "the common default); without it tensors go out as stored")
    export.set_defaults(func=export_command)


def import_command(args: argparse.Namespace) -> int:
    from ml.sou.convert import ConversionError, import_model
    from ml.sou.errors import SouFormatError

    policy = QuantPolicy(keep_embeddings=args.keep_embeddings, keep_output=args.keep_output,
                         output_type=args.output_type)
    try:
        report = import_model(args.source, args.output, args.qtype, policy)
    except (ConversionError, SouFormatError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    counts = ", ".join(f"{n} {t}" for t, n in sorted(report.tensors_by_type.items()))
    print(f"{args.source} ({report.source_format}) -> {report.path}: {report.file_bytes:,} "
          f"bytes, tensors {counts}")
    for warning in report.warnings:
        print(f"warning: {warning}")
    return 0


def export_command(args: argparse.Namespace) -> int:
    from ml.sou.convert import export_hf_dir
    from ml.sou.errors import SouFormatError

    fmt = args.format or ("gguf" if args.output.lower().endswith(".gguf") else "hf")
    if fmt == "gguf":
        return _export_gguf(args)
    if args.qtype is not None:
        print("error: --type applies to GGUF exports; a Hugging Face export is float32",
              file=sys.stderr)
        return 1
    try:
        notes = export_hf_dir(args.file, args.output)
    except (SouFormatError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.file} -> {args.output}")
    for note in notes:
        print(f"warning: {note}")
    return 0


def _export_gguf(args: argparse.Namespace) -> int:
    from ml.sou.errors import SouFormatError
    from ml.sou.gguf_export import export_gguf

    try:
        report = export_gguf(args.file, args.output, args.qtype)
    except (SouFormatError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    counts = ", ".join(f"{n} {t}" for t, n in sorted(report.tensors_by_type.items()))
    print(f"{args.file} -> {report.path} (GGUF, {report.arch}): {report.file_bytes:,} bytes, "
          f"tensors {counts}")
    for warning in report.warnings:
        print(f"warning: {warning}")
    return 0
