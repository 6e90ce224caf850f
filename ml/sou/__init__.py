"""`.sou`: SloughGPT's single-file model format (SPEC.md). It carries the architecture,
tokenizer, chat template, sampling defaults, personality and provenance with the (optionally
quantized) weights. This package owns its constants, writer, validating reader and quantizers.
"""

from ml.sou.api import memory_estimate, read_sou, verify, write_sou
from ml.sou.errors import SouFormatError, SouWriterStateError
from ml.sou.quant import QuantPolicy
from ml.sou.reader import SouFile, TensorInfo
from ml.sou.requantize import QuantizeReport, quantize_file

__all__ = [
    "QuantPolicy",
    "QuantizeReport",
    "SouFile",
    "SouFormatError",
    "SouWriterStateError",
    "TensorInfo",
    "memory_estimate",
    "quantize_file",
    "read_sou",
    "verify",
    "write_sou",
]
