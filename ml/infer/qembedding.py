"""`QuantEmbedding`: an embedding table kept in its `.sou` storage type (F16, BF16, Q8_0, ...) and
expanded to float only for the rows looked up, so a tied embedding and output head share the
file's bytes instead of a float32 copy of the whole table."""

from __future__ import annotations

import torch
from torch import nn

from ml.sou.constants import TENSOR_TYPES, tensor_byte_length
from ml.sou.quant import dequantize


class QuantEmbedding(nn.Module):
    """Rows of a (num_embeddings, embedding_dim) table stored as `qtype` bytes in `raw`."""

    def __init__(self, qtype: str, num_embeddings: int, embedding_dim: int, raw: torch.Tensor,
                 dtype: torch.dtype = torch.float32):
        super().__init__()
        expected = tensor_byte_length(qtype, (num_embeddings, embedding_dim))
        if raw.dtype != torch.uint8 or raw.numel() != expected:
            raise ValueError(f"{qtype} embedding of shape ({num_embeddings}, {embedding_dim}) "
                             f"needs {expected} bytes, got {raw.numel()} of {raw.dtype}")
        self.qtype = qtype
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.dtype = dtype
        info = TENSOR_TYPES[qtype]
        self.row_bytes = info.type_size * embedding_dim // info.block_size
        # Not persistent: the bytes are the file's (a view of its memory map).
        self.register_buffer("raw", raw.view(num_embeddings, self.row_bytes), persistent=False)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """idx (...) token ids -> (..., embedding_dim) in `dtype`."""
        rows = self.raw[idx.reshape(-1)]  # (N, row_bytes), only the rows asked for
        flat = dequantize(rows.reshape(-1), self.qtype, (rows.shape[0], self.embedding_dim))
        return flat.to(self.dtype).view(*idx.shape, self.embedding_dim)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}, qtype={self.qtype}"
