"""`QuantLinear`: a linear layer whose weight stays in its `.sou` storage type (F32, F16, BF16,
Q8_0, Q4_0, Q4_1, and the K-quants Q2_K..Q6_K) and is multiplied without being expanded to
float32 first.

On CPU the weight is the file's own bytes (a view of the memory map, no copy) and the product
runs in the native kernels (ml/infer/kernels/qmm.c): llama.cpp's scheme, where each activation
row is quantized to 8-bit blocks so a block's dot product is an exact integer sum. The
pure-PyTorch path (`SLOUGHGPT_KERNELS=torch`, or no C compiler) does the very same integer
arithmetic, so both paths agree to float rounding and pick the same greedy tokens.
K-quant weights (super-blocks of 256) meet activations quantized to 8-bit super-blocks of 256
(ggml's Q8_K) the same way, in the kernels' kquant.c or in PyTorch here.
On an accelerator the weight is dequantized once, at load, to a half-precision matrix.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ml.infer import kernels
from ml.sou.constants import K_TYPES, TENSOR_TYPES, tensor_byte_length
from ml.sou.kquant import QK_K, unpack_k
from ml.sou.quant import QK, dequantize, quantize

QTYPES = ("F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", *K_TYPES)
_HALF_DTYPES = {"F16": torch.float16, "BF16": torch.bfloat16}
_FALLBACK_CHUNK = 1 << 22  # elements of (blocks, rows, outputs) the torch path holds at once
# Prompts (inputs (B, T, K) with T > 1) take a float32 GEMM over dequantized weight slices,
# which reuses each weight across all rows, as the native prompt path's float tiles do; decode
# steps (T = 1) take the 8-bit kernel whatever the batch, so batching never changes a row's
# numbers. Flat (M, K) inputs take the GEMM from this many rows.
GEMM_ROWS = 16
_GEMM_SLICE = 1 << 21  # weights per dequantized slice: 8 MiB of float32, cache-friendly

RawTensors = Callable[[str], tuple[str, tuple[int, ...], "np.ndarray | torch.Tensor"]]


class QuantLinear(nn.Module):
    """y = x W^T + b with W (out_features, in_features) kept as `qtype`."""

    def __init__(
        self,
        qtype: str,
        in_features: int,
        out_features: int,
        raw: torch.Tensor | None,
        weight: torch.Tensor | None,
        bias: torch.Tensor | None,
    ):
        super().__init__()
        self.qtype = qtype
        self.in_features = in_features
        self.out_features = out_features
        # Exactly one of raw (the stored bytes, used on CPU) and weight (a dense matrix: F32 on
        # CPU, anything on an accelerator) is set. Not persistent: they come from the file.
        self.register_buffer("raw", raw, persistent=False)
        self.register_buffer("weight", weight, persistent=False)
        self.register_buffer("bias", bias, persistent=False)

    @classmethod
    def from_raw(
        cls,
        qtype: str,
        shape: tuple[int, int],
        raw: np.ndarray | torch.Tensor,
        bias: torch.Tensor | None = None,
        device: torch.device | str | None = None,
    ) -> QuantLinear:
        """A layer over `raw`, the weight's bytes as stored (shape = (out, in)); on CPU the
        bytes are used in place, so a view of a memory map stays a view."""
        if qtype not in QTYPES:
            raise ValueError(f"QuantLinear supports {QTYPES}, got qtype {qtype!r}")
        if len(shape) != 2:
            raise ValueError(f"a linear weight has shape (out_features, in_features), got {shape}")
        out_features, in_features = (int(s) for s in shape)
        raw = as_byte_tensor(raw)
        expected = tensor_byte_length(qtype, (out_features, in_features))
        if raw.numel() != expected:
            raise ValueError(f"{qtype} weight of shape {tuple(shape)} needs {expected} bytes, "
                             f"got {raw.numel()}")
        device = torch.device(device or "cpu")
        if bias is not None:
            if bias.shape != (out_features,):
                raise ValueError(f"bias has shape {tuple(bias.shape)}, expected ({out_features},)")
            bias = bias.detach().to(device=device, dtype=torch.float32)
        if device.type != "cpu":
            # Accelerators get one dense half-precision matrix; their GEMMs are fast enough
            # that the weight's bandwidth, not its format, is what matters there.
            dtype = torch.bfloat16 if qtype == "BF16" else torch.float16
            dense = dequantize(raw.to(device), qtype, (out_features, in_features)).to(dtype)
            return cls(qtype, in_features, out_features, None, dense, bias)
        if qtype == "F32":
            return cls(qtype, in_features, out_features, None,
                       raw.view(torch.float32).view(out_features, in_features), bias)
        return cls(qtype, in_features, out_features, raw, None, bias)

    @classmethod
    def from_float(
        cls,
        weight: torch.Tensor,
        qtype: str,
        bias: torch.Tensor | None = None,
        device: torch.device | str | None = None,
    ) -> QuantLinear:
        """Quantize a float weight (out, in) to `qtype` and wrap it."""
        raw = quantize(weight.detach().cpu(), qtype)
        return cls.from_raw(qtype, tuple(weight.shape), raw, bias, device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.requires_grad and torch.is_grad_enabled():
            # Training adapters over a frozen packed base: the input needs its gradient.
            return _FrozenWeightProduct.apply(x, self)
        return self._forward(x)

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        # The decode loop calls this ~200 times per token, so the native path is kept to one
        # allocation and one foreign call: no reshapes, no dtype round trips.
        raw, bias = self._buffers["raw"], self._buffers["bias"]
        if raw is None or not raw.is_cpu:
            return self._dense_forward(x)
        if x.shape[-1] != self.in_features:
            raise ValueError(f"input has {x.shape[-1]} features, this layer takes {self.in_features}")
        lib = self._native_lib()
        x32 = x if x.dtype is torch.float32 else x.float()
        native = lib is not None and x32.is_cpu and (bias is None or bias.dtype is torch.float32)
        rows = x32.numel() // self.in_features
        gemm = x.shape[-2] > 1 if x.dim() >= 3 else rows >= GEMM_ROWS
        if gemm or not native:
            x2 = x32.reshape(rows, self.in_features).contiguous()  # (M, K)
            y = (self._gemm(x2, raw, lib if native else None) if gemm
                 else torch_qmm(x2, raw, self.qtype, self.out_features))
            if bias is not None:
                y += bias.float()
            return y.view(*x.shape[:-1], self.out_features).to(x.dtype)
        x32 = x32.contiguous()
        out = torch.empty(*x.shape[:-1], self.out_features)  # (..., N)
        status = lib.sg_qmm(kernels.TYPE_CODES[self.qtype], raw.data_ptr(), self.out_features,
                            self.in_features, x32.data_ptr(), rows,
                            None if bias is None else bias.data_ptr(), out.data_ptr(),
                            torch.get_num_threads())
        if status != 0:
            raise RuntimeError(f"native {self.qtype} matmul failed for input {tuple(x.shape)}")
        return out if x.dtype is torch.float32 else out.to(x.dtype)

    def _native_lib(self):
        """The kernel library if it reads this layer's type, else None (the PyTorch path)."""
        return kernels.load() if self.qtype in kernels.TYPE_CODES else None

    def _gemm(self, x: torch.Tensor, raw: torch.Tensor, lib) -> torch.Tensor:
        """x (M, K) @ W^T for prefill-sized M: float32 slices of W (dequantized natively when
        `lib` is given, else by ml.sou.quant; the same numbers either way) meet x in a GEMM,
        which reuses each weight across all M rows."""
        out = torch.empty(x.shape[0], self.out_features)  # (M, N)
        for start, w in self._weight_slices(raw, lib):
            out[:, start:start + w.shape[0]] = x @ w.t()
        return out

    def _weight_slices(self, raw: torch.Tensor, lib):
        """(first output row, float32 rows of W) for consecutive slices of W; one buffer is
        reused by the native path, so each slice is valid until the next is drawn."""
        n, k = self.out_features, self.in_features
        per_row = TENSOR_TYPES[self.qtype].type_size * k // TENSOR_TYPES[self.qtype].block_size
        chunk = max(1, _GEMM_SLICE // k)
        buffer = torch.empty(min(chunk, n), k) if lib is not None else None
        for start in range(0, n, chunk):
            rows = min(chunk, n - start)
            piece = raw[start * per_row:(start + rows) * per_row]
            if lib is None:
                w = dequantize(piece, self.qtype, (rows, k)).float()
            else:
                w = buffer[:rows]
                if lib.sg_dequantize(kernels.TYPE_CODES[self.qtype], piece.data_ptr(), rows, k,
                                     w.data_ptr()) != 0:
                    raise RuntimeError(f"native {self.qtype} dequantize failed for ({rows}, {k})")
            yield start, w

    def input_grad(self, grad_y: torch.Tensor) -> torch.Tensor:
        """grad_y (..., N) -> grad_x (..., K) = grad_y @ W, W dequantized slice by slice (never
        whole), as the forward GEMM does."""
        raw = self._buffers["raw"]
        g = grad_y.reshape(-1, self.out_features)  # (M, N)
        if raw is None or not raw.is_cpu:
            weight = self._buffers["weight"]
            if weight is None:
                weight = dequantize(raw, self.qtype, (self.out_features, self.in_features))
            grad = g.to(weight.dtype) @ weight
        else:
            g = g.float()
            grad = torch.zeros(g.shape[0], self.in_features)  # (M, K)
            for start, w in self._weight_slices(raw, self._native_lib()):
                grad.addmm_(g[:, start:start + w.shape[0]], w)
        return grad.view(*grad_y.shape[:-1], self.in_features).to(grad_y.dtype)

    def dequantized(self) -> torch.Tensor:
        """The float32 weight (out_features, in_features): for merging adapters and export."""
        raw, weight = self._buffers["raw"], self._buffers["weight"]
        if raw is None:
            return weight.float()
        return dequantize(raw, self.qtype, (self.out_features, self.in_features)).float()

    def _dense_forward(self, x: torch.Tensor) -> torch.Tensor:
        weight, bias = self._buffers["weight"], self._buffers["bias"]
        if weight is None:  # a CPU-built layer moved to an accelerator with .to(device)
            raw = self._buffers["raw"]
            weight = dequantize(raw, self.qtype, (self.out_features, self.in_features)).float()
        if bias is not None and bias.dtype != weight.dtype:
            bias = bias.to(weight.dtype)
        y = F.linear(x if x.dtype == weight.dtype else x.to(weight.dtype), weight, bias)
        return y if y.dtype == x.dtype else y.to(x.dtype)

    @property
    def qweight(self) -> torch.Tensor:
        """The weight as held, packed bytes or dense: the name peft looks for on a quantized
        layer, to put LoRA adapters on its device without taking its (integer) dtype."""
        raw = self._buffers["raw"]
        return raw if raw is not None else self._buffers["weight"]

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"qtype={self.qtype}, bias={self.bias is not None}")


class _FrozenWeightProduct(torch.autograd.Function):
    """y = layer(x) with a gradient for x only: the packed weight is frozen and never gets one,
    while forward keeps the layer's own native/GEMM paths."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, layer: QuantLinear) -> torch.Tensor:
        ctx.layer = layer
        y = layer._forward(x)
        if torch.is_autocast_enabled(y.device.type):
            # As autocast's own linear would: the activations after it (which backward keeps)
            # then take half the memory.
            y = y.to(torch.get_autocast_dtype(y.device.type))
        return y

    @staticmethod
    def backward(ctx, grad_y: torch.Tensor):
        return ctx.layer.input_grad(grad_y), None


def torch_qmm(x: torch.Tensor, raw: torch.Tensor, qtype: str, n: int) -> torch.Tensor:
    """x (M, K) float32 @ W^T, W (n, K) stored as `qtype` bytes -> (M, n), in PyTorch with the
    native kernels' arithmetic: the same activation quantization and the same exact integer
    block sums (float32 holds them exactly: |sum| <= 32 * 127 * 127 < 2**24)."""
    m, k = x.shape
    if qtype in _HALF_DTYPES:
        return F.linear(x, raw.view(_HALF_DTYPES[qtype]).view(n, k).float())
    if qtype in K_TYPES:
        return _torch_kqmm(x, raw, qtype, n)
    xq, xd, xs = quantize_activations(x)  # (M, B, 32), (M, B), (M, B)
    blocks = raw.view(n, k // QK, TENSOR_TYPES[qtype].type_size)  # (N, B, bytes)
    out = torch.empty(m, n, dtype=torch.float32)
    rows = max(1, _FALLBACK_CHUNK // (m * (k // QK)))
    xq_t = xq.transpose(0, 1)  # (B, M, 32)
    for start in range(0, n, rows):
        wq, wd, wm = _unpack_blocks(blocks[start:start + rows], qtype)  # (R, B, 32), (R, B), (R, B)
        isum = torch.bmm(xq_t, wq.permute(1, 2, 0))  # (B, M, R)
        scale = xd.t()[:, :, None] * wd.t()[:, None, :]  # (B, M, R)
        y = (scale * isum).sum(0)  # (M, R)
        if wm is not None:
            y = y + xs @ wm.t()  # Q4_1's offset: sum_b m_w * d_x * sum(q_x)
        out[:, start:start + rows] = y
    return out


def _torch_kqmm(x: torch.Tensor, raw: torch.Tensor, qtype: str, n: int) -> torch.Tensor:
    """torch_qmm for K-quant weights, kquant.c's arithmetic: per super-block b,
    d_x * (d * sum_s sc[s] * sum(q * q_x) - dmin * sum_s mn[s] * sum(q_x over s)), the sums
    exact integers (float64 holds them), the scaling in float32."""
    m, k = x.shape
    nb = k // QK_K
    xq, xd, _ = quantize_activations(x, QK_K)  # (M, B, 256), (M, B)
    xq = xq.double()
    row_bytes = nb * TENSOR_TYPES[qtype].type_size
    out = torch.empty(m, n, dtype=torch.float32)
    rows = max(1, _FALLBACK_CHUNK // (m * k))
    for start in range(0, n, rows):
        r = min(rows, n - start)
        q, sc, mn, d, dmin = unpack_k(raw[start * row_bytes:(start + r) * row_bytes], qtype)
        subs, length = q.shape[1:]
        xs = xq.view(m, nb, subs, length)  # (M, B, S, L)
        isub = torch.einsum("mbsl,rbsl->mrbs", xs, q.double().view(r, nb, subs, length))
        isum = (isub * sc.double().view(1, r, nb, subs)).sum(-1).float()  # (M, R, B)
        y = ((d.view(1, r, nb) * xd[:, None, :]) * isum).sum(-1)  # (M, R)
        if mn is not None:
            msum = torch.einsum("mbs,rbs->mrb", xs.sum(-1), mn.double().view(r, nb, subs)).float()
            y = y - ((dmin.view(1, r, nb) * xd[:, None, :]) * msum).sum(-1)
        out[:, start:start + r] = y
    return out


def quantize_activations(x: torch.Tensor, block: int = QK
                         ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Rows of x (M, K) as 8-bit blocks of `block` (32, or 256 for the K-quants): integer-valued
    q (M, K/block, block) as float32, scale d (M, K/block) and s = d * sum(q) (M, K/block), bit
    for bit as qmm.c and kquant.c compute them."""
    blocks = x.view(x.shape[0], -1, block)  # (M, B, block)
    amax = blocks.abs().amax(-1)  # (M, B)
    inv = torch.where(amax != 0, torch.full_like(amax, 127.0) / amax, torch.zeros_like(amax))
    q = torch.round(blocks * inv[..., None])  # ties to even, as the kernels' rounding mode
    d = amax / torch.full_like(amax, 127.0)
    return q, d, d * q.sum(-1)


def _unpack_blocks(blocks: torch.Tensor, qtype: str):
    """(R, B, bytes) raw blocks -> integer weights q (R, B, 32) as float32, scales d (R, B) and
    Q4_1's minimum m (R, B) or None, so that w = d * q (+ m)."""
    d = blocks[..., 0:2].contiguous().view(torch.float16).squeeze(-1).float()
    if qtype == "Q8_0":
        return blocks[..., 2:].contiguous().view(torch.int8).float(), d, None
    nibbles = blocks[..., 2:] if qtype == "Q4_0" else blocks[..., 4:]
    q = torch.cat([nibbles & 0x0F, nibbles >> 4], dim=-1).float()  # weights 0..15 then 16..31
    if qtype == "Q4_0":
        return q - 8, d, None
    return q, d, blocks[..., 2:4].contiguous().view(torch.float16).squeeze(-1).float()


def as_byte_tensor(raw: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Stored bytes as a flat uint8 tensor (a read-only memory map stays a view)."""
    if isinstance(raw, np.ndarray):
        if raw.dtype != np.uint8:
            raise ValueError(f"raw weight bytes must be uint8, got {raw.dtype}")
        with warnings.catch_warnings():
            # A read-only map is fine: the layer never writes its weight.
            warnings.simplefilter("ignore", UserWarning)
            raw = torch.from_numpy(raw)
    if raw.dtype != torch.uint8:
        raise ValueError(f"raw weight bytes must be uint8, got {raw.dtype}")
    return raw.reshape(-1)


def swap_linears(
    model: nn.Module,
    tensors: RawTensors,
    names: Iterable[str] | None = None,
    device: torch.device | str | None = None,
) -> None:
    """Replace the `nn.Linear` modules called `names` (default: all of them) with QuantLinear
    layers over `tensors(f"{name}.weight")` (and `.bias` where the module has one)."""
    modules = dict(model.named_modules())
    if names is None:
        names = [name for name, module in modules.items() if isinstance(module, nn.Linear)]
    for name in names:
        module = modules.get(name)
        if not isinstance(module, nn.Linear):
            raise TypeError(f"{name!r} is not an nn.Linear in {type(model).__name__}")
        qtype, shape, raw = tensors(f"{name}.weight")
        bias = None
        if module.bias is not None:
            b_type, b_shape, b_raw = tensors(f"{name}.bias")
            bias = dequantize(as_byte_tensor(b_raw), b_type, tuple(b_shape)).float()
        layer = QuantLinear.from_raw(qtype, tuple(shape), raw, bias, device)
        parent_name, _, child = name.rpartition(".")
        setattr(modules[parent_name] if parent_name else model, child, layer)
