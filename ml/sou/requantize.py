"""`quantize_file`: rewrite a `.sou` file with another tensor type, tensor by tensor.

A tensor already at the chosen type is copied byte for byte. Precision lost earlier cannot be
recovered, so a tensor stored below the precision it would be converted to is kept as it is
(or converted when asked) and the report says so either way.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field

from ml.sou.api import tool_version
from ml.sou.constants import SECTION_PROVENANCE, TENSOR_TYPES
from ml.sou.quant import QuantPolicy, gqa_ratio, layer_count, quantize
from ml.sou.reader import SouFile
from ml.sou.writer import SouWriter, TensorSpec


@dataclass
class QuantizeReport:
    """What a requantization changed."""

    qtype: str  # the requested type
    file_bytes_before: int  # size of the input file
    file_bytes_after: int  # size of the output file
    bytes_by_type_before: dict[str, int] = field(default_factory=dict)  # tensor bytes per type
    bytes_by_type_after: dict[str, int] = field(default_factory=dict)
    tensors_by_type_after: dict[str, int] = field(default_factory=dict)  # tensor count per type
    warnings: list[str] = field(default_factory=list)  # upcasts kept or forced


def _choose(info, wanted: str, allow_upcast: bool, upcasts: dict) -> str:
    source = info.type_name
    if TENSOR_TYPES[wanted].bits_rank <= TENSOR_TYPES[source].bits_rank:
        return wanted
    upcasts.setdefault((source, wanted), []).append(info.name)
    return wanted if allow_upcast else source


def _upcast_warnings(upcasts: dict, allow_upcast: bool) -> list[str]:
    lines = []
    for (source, wanted), names in upcasts.items():
        shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        outcome = (f"converted to {wanted} anyway" if allow_upcast
                   else f"kept as {source} (allow_upcast converts them)")
        lines.append(f"{len(names)} tensor(s) stored as {source} would become {wanted} "
                     f"({shown}); the precision lost earlier is not recovered: {outcome}")
    return lines


def quantize_file(in_path: str | os.PathLike, out_path: str | os.PathLike, qtype: str,
                  policy: QuantPolicy | None = None, *, allow_upcast: bool = False
                  ) -> QuantizeReport:
    """Write `in_path`'s model to `out_path` with matrices in `qtype` (policy permitting)."""
    policy = policy or QuantPolicy()
    with SouFile(in_path) as source:
        upcasts: dict[tuple[str, str], list[str]] = {}
        n_layer = layer_count(info.name for info in source.tensor_infos)
        n_gqa = gqa_ratio({info.name: info.shape for info in source.tensor_infos}, policy)
        specs = [
            TensorSpec(info.name, _choose(info, policy.type_for(info.name, info.shape, qtype,
                                                                n_layer, n_gqa),
                                          allow_upcast, upcasts), info.shape)
            for info in source.tensor_infos
        ]
        metadata = dict(source.metadata)
        metadata[SECTION_PROVENANCE] = {
            **source.provenance,
            "created_by": tool_version(),
            "quantization": {"type": qtype, "from_types": sorted(
                {info.type_name for info in source.tensor_infos})},
        }
        before, after, counts = Counter(), Counter(), Counter()
        with SouWriter(out_path) as writer:
            writer.write_header(metadata, specs)
            for info, spec in zip(source.tensor_infos, specs):
                if spec.type_name == info.type_name:
                    data = source.raw(info.name)[2]
                else:
                    data = quantize(source.tensor(info.name), spec.type_name).numpy()
                writer.write_tensor(spec.name, data)
                before[info.type_name] += info.length
                after[spec.type_name] += data.nbytes
                counts[spec.type_name] += 1
            writer.finish()
        return QuantizeReport(
            qtype=qtype,
            file_bytes_before=source.file_size,
            file_bytes_after=os.path.getsize(out_path),
            bytes_by_type_before=dict(before),
            bytes_by_type_after=dict(after),
            tensors_by_type_after=dict(counts),
            warnings=_upcast_warnings(upcasts, allow_upcast),
        )
