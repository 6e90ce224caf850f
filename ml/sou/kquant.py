"""ggml's K-quants (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K): super-blocks of 256 weights with packed
sub-block scales, dequantized as gguf-py does (same float32 operations in the same order, so the
same bits) and quantized by llama.cpp's reference quantizers (`quantize_row_q*_K_ref` in
ggml-quants.c, no importance matrix).

Block layouts (bytes, in order; d/dmin are f16):
  Q2_K  84: scales[16] (low nibble scale, high nibble min), qs[64] (2 bits), d, dmin
  Q3_K 110: hmask[32] (high bit), qs[64] (low 2 bits), scales[12] (16 x 6 bits), d
  Q4_K 144: d, dmin, scales[12] (8 scales + 8 mins, 6 bits), qs[128] (nibbles)
  Q5_K 176: d, dmin, scales[12], qh[32] (fifth bit), qs[128]
  Q6_K 210: ql[128] (low nibbles), qh[64] (2 high bits), scales[16] (int8), d

The quantizers search scales exactly as the C code does, including its sequential float32
sums, so they loop over the positions inside a sub-block and vectorize across sub-blocks; the
bytes equal llama.cpp's (tests/ml/sou/test_kquant.py holds digests of its output). gguf-py
has no K-quant quantizers to compare with.
"""

from __future__ import annotations

import numpy as np
import torch

from ml.sou.constants import TENSOR_TYPES

QK_K = 256  # weights per super-block
GROUP_MAX_EPS = 1e-15  # ggml's threshold below which a group counts as all zeros
_CHUNK = 1 << 14  # super-blocks quantized at once: bounds the working set to a few MiB


def _f16(raw: torch.Tensor) -> torch.Tensor:
    return raw.contiguous().view(torch.float16).squeeze(-1).float()  # (n, 2) bytes -> (n,)


def _shifted(b: torch.Tensor, shifts: list[int], mask: int) -> torch.Tensor:
    """(n, ..., L) bytes -> (n, ..., len(shifts), L): each byte shifted by each amount."""
    s = torch.tensor(shifts, dtype=torch.uint8).view(len(shifts), 1)
    return (b.unsqueeze(-2) >> s) & mask


def _scale_min_k4(scales: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Q4_K/Q5_K's 12 scale bytes (n, 12) -> 6-bit scales (n, 8) and mins (n, 8)."""
    d, m, md = scales[:, 0:4], scales[:, 4:8], scales[:, 8:12]
    sc = torch.cat([d & 0x3F, (md & 0x0F) | ((d >> 2) & 0x30)], dim=-1)
    mn = torch.cat([m & 0x3F, (md >> 4) | ((m >> 2) & 0x30)], dim=-1)
    return sc, mn


def unpack_k(raw: torch.Tensor, type_name: str):
    """Flat uint8 bytes of n super-blocks -> the integers and scales a weight is made of:
    signed levels q (n, S, L) and sub-block scales sc (n, S) as float32, sub-block minimums mn
    (n, S) or None, d (n,) and dmin (n,) or None, with w = d * sc * q - dmin * mn per sub-block
    (S sub-blocks of L weights: 16 of 16, or 8 of 32 for Q4_K/Q5_K)."""
    b = raw.reshape(-1, TENSOR_TYPES[type_name].type_size)  # (n, bytes)
    n = b.shape[0]
    if type_name == "Q2_K":
        sc, qs, d, dmin = b[:, :16], b[:, 16:80], _f16(b[:, 80:82]), _f16(b[:, 82:84])
        q = _shifted(qs.view(n, 2, 32), [0, 2, 4, 6], 3).reshape(n, 16, 16).float()
        return q, (sc & 0xF).float(), (sc >> 4).float(), d, dmin
    if type_name == "Q3_K":
        hmask, qs, scales, d = b[:, :32], b[:, 32:96], b[:, 96:108], _f16(b[:, 108:110])
        low = _shifted(scales[:, :8], [0, 4], 0x0F).reshape(n, 16)
        high = _shifted(scales[:, 8:12], [0, 2, 4, 6], 0x03).reshape(n, 16)
        sc = ((low | (high << 4)).to(torch.int8) - 32).float()
        ql = _shifted(qs.view(n, 2, 32), [0, 2, 4, 6], 3).reshape(n, 16, 16)
        qh = _shifted(hmask.view(n, 1, 32), list(range(8)), 1).reshape(n, 16, 16) ^ 1
        q = (ql.to(torch.int8) - (qh << 2).to(torch.int8)).float()
        return q, sc, None, d, None
    if type_name in ("Q4_K", "Q5_K"):
        d, dmin = _f16(b[:, 0:2]), _f16(b[:, 2:4])
        sc, mn = _scale_min_k4(b[:, 4:16])
        qs = b[:, 16:144] if type_name == "Q4_K" else b[:, 48:176]
        q = _shifted(qs.reshape(n, 4, 32), [0, 4], 0x0F).reshape(n, 8, 32)
        if type_name == "Q5_K":
            qh = _shifted(b[:, 16:48].view(n, 1, 32), list(range(8)), 1).reshape(n, 8, 32)
            q = q | (qh << 4)
        return q.float(), sc.float(), mn.float(), d, dmin
    if type_name == "Q6_K":
        ql, qh, scales, d = b[:, :128], b[:, 128:192], b[:, 192:208], _f16(b[:, 208:210])
        low = _shifted(ql.reshape(n, 2, 64), [0, 4], 0x0F).reshape(n, 8, 32)
        high = _shifted(qh.reshape(n, 2, 32), [0, 2, 4, 6], 0x03).reshape(n, 8, 32)
        q = ((low | (high << 4)).to(torch.int8) - 32).reshape(n, 16, 16).float()
        return q, scales.contiguous().view(torch.int8).float(), None, d, None
    raise ValueError(f"not a K-quant type: {type_name!r}")


def dequantize_k(raw: torch.Tensor, type_name: str) -> torch.Tensor:
    """Flat uint8 bytes of whole super-blocks -> float32 weights (n_blocks * 256,)."""
    q, sc, mn, d, dmin = unpack_k(raw, type_name)
    n, subs = sc.shape
    dl = (d[:, None] * sc).view(n, subs, 1)
    if mn is None:
        return (dl * q).reshape(-1)
    ml = (dmin[:, None] * mn).view(n, subs, 1)
    return (dl * q - ml).reshape(-1)


# --- quantization: llama.cpp's reference search, vectorized across groups -------------------

def _f32(value: float) -> float:
    return float(np.float32(value))


def _over(numerator: float, t: torch.Tensor) -> torch.Tensor:
    """numerator / t as one float32 division: PyTorch turns `scalar / tensor` into a
    reciprocal and a product, which can differ from C's quotient in the last bit."""
    return torch.full_like(t, numerator) / t


def _divided(t: torch.Tensor, denominator: float) -> torch.Tensor:
    return t / torch.full_like(t, denominator)  # a true division, as _over


def _nearest(x: torch.Tensor) -> torch.Tensor:
    # ggml's nearest_int adds 1.5 * 2**23: round half to even, as torch.round does.
    return torch.round(x)


def _fp16_round(x: torch.Tensor) -> torch.Tensor:
    return x.to(torch.float16).float()


def _make_qkx2(x: torch.Tensor, w: torch.Tensor, nmax: int, rmin: float, rdelta: float,
               nstep: int, use_mad: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """make_qkx2_quants over groups: x, w (n, G) -> levels L (n, G), scale (G,), -min (G,).
    Positions are the leading dim so each sum runs in the C code's order."""
    n = x.shape[0]
    lo, hi = x.amin(0), x.amax(0)
    sum_w, sum_x = w[0].clone(), w[0] * x[0]
    for i in range(1, n):
        sum_w += w[i]
        sum_x += w[i] * x[i]
    lo = torch.clamp(lo, max=0.0)
    flat = hi == lo

    def levels(iscale, minimum):
        return torch.clamp(_nearest(iscale * (x - minimum)), 0, nmax)  # (n, G)

    def span(minimum):
        return torch.where(flat, 1.0, hi - minimum)

    def error(levels_, scale, minimum):
        total = torch.zeros_like(sum_w)
        for i in range(n):
            diff = scale * levels_[i] + minimum - x[i]
            total += w[i] * (diff.abs() if use_mad else diff * diff)
        return total

    iscale = _over(nmax, span(lo))
    scale = _over(1, iscale)
    best_l = levels(iscale, lo)
    best_err = error(best_l, scale, lo)
    best_min = lo.clone()
    for step in range(nstep + 1):
        # The C code searches from its current best minimum, which each better step moves.
        iscale = _over(_f32(_f32(rmin) + _f32(rdelta) * step) + nmax, span(best_min))
        laux = levels(iscale, best_min)
        sum_l, sum_l2, sum_xl = (torch.zeros_like(sum_w) for _ in range(3))
        for i in range(n):
            wl = w[i] * laux[i]
            sum_l += wl
            sum_l2 += wl * laux[i]
            sum_xl += wl * x[i]
        det = sum_w * sum_l2 - sum_l * sum_l
        ok = det > 0
        safe = torch.where(ok, det, torch.ones_like(det))
        this_scale = (sum_w * sum_xl - sum_x * sum_l) / safe
        this_min = (sum_l2 * sum_x - sum_l * sum_xl) / safe
        positive = this_min > 0
        this_min = torch.where(positive, torch.zeros_like(this_min), this_min)
        this_scale = torch.where(positive, sum_xl / torch.where(ok, sum_l2, 1.0), this_scale)
        err = error(laux, this_scale, this_min)
        better = ok & (err < best_err)
        best_l = torch.where(better, laux, best_l)
        best_err = torch.where(better, err, best_err)
        scale = torch.where(better, this_scale, scale)
        best_min = torch.where(better, this_min, best_min)
    best_l = torch.where(flat, torch.zeros_like(best_l), best_l)
    scale = torch.where(flat, torch.zeros_like(scale), scale)
    best_min = torch.where(flat, lo, best_min)
    return best_l, scale, -best_min


def _positive_peak(values: torch.Tensor) -> torch.Tensor:
    """max(0, largest of each row) of (n, G) as the C loop from +0 finds it: a -0.0 minimum
    (every all-positive group has one) never replaces the +0 start."""
    peak = values.amax(1)
    return torch.where(peak > 0, peak, 0.0)


def _abs_peak(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(signed value of largest magnitude, its magnitude) per group of x (n, G); the first
    position wins ties, as the C loop's strict `>` does."""
    index = x.abs().argmax(0, keepdim=True)
    peak = x.gather(0, index).squeeze(0)
    return peak, peak.abs()


def _make_qx(x: torch.Tensor, nmax: int) -> tuple[torch.Tensor, torch.Tensor]:
    """make_qx_quants(n, nmax, x, L, rmse_type=1, NULL): levels (n, G) offset by nmax, scale (G,)."""
    peak, amax = _abs_peak(x)
    empty = amax < GROUP_MAX_EPS
    peak = torch.where(empty, torch.ones_like(peak), peak)
    w = x * x

    def search(iscale):
        ls = torch.clamp(_nearest(iscale * x), -nmax, nmax - 1)
        sumlx, suml2 = torch.zeros_like(peak), torch.zeros_like(peak)
        for i in range(x.shape[0]):
            sumlx += w[i] * x[i] * ls[i]
            suml2 += w[i] * ls[i] * ls[i]
        return ls, sumlx, suml2

    best_l, sumlx, suml2 = search(_over(-nmax, peak))
    scale = torch.where(suml2 != 0, sumlx / torch.where(suml2 != 0, suml2, 1.0), 0.0)
    best = scale * sumlx
    for step in range(-9, 10):
        if step == 0:
            continue
        ls, sumlx, suml2 = search(_over(-_f32(nmax + _f32(_f32(0.1) * step)), peak))
        better = (suml2 > 0) & (sumlx * sumlx > best * suml2)
        best_l = torch.where(better, ls, best_l)
        scale = torch.where(better, sumlx / torch.where(suml2 > 0, suml2, 1.0), scale)
        best = torch.where(better, scale * sumlx, best)
    best_l = torch.where(empty, torch.full_like(best_l, -nmax), best_l)  # L = 0 after the offset
    return best_l + nmax, torch.where(empty, torch.zeros_like(scale), scale)


def _make_q3(x: torch.Tensor, nmax: int) -> tuple[torch.Tensor, torch.Tensor]:
    """make_q3_quants(n, nmax, x, L, do_rmse=true): levels (n, G) offset by nmax, scale (G,)."""
    peak, amax = _abs_peak(x)
    empty = amax < GROUP_MAX_EPS
    peak = torch.where(empty, torch.ones_like(peak), peak)
    w = x * x
    wx = w * x
    ls = torch.clamp(_nearest(_over(-nmax, peak) * x), -nmax, nmax - 1)  # (n, G)
    sumlx, suml2 = torch.zeros_like(peak), torch.zeros_like(peak)
    for i in range(x.shape[0]):
        sumlx += wx[i] * ls[i]
        suml2 += w[i] * ls[i] * ls[i]
    for _ in range(5):  # a group that stops changing stays unchanged, so no per-group break
        for i in range(x.shape[0]):
            slx = sumlx - wx[i] * ls[i]
            sl2 = suml2 - w[i] * ls[i] * ls[i]
            moves = slx > 0
            new_l = torch.clamp(_nearest(x[i] * sl2 / torch.where(moves, slx, 1.0)),
                                -nmax, nmax - 1)
            slx = slx + wx[i] * new_l
            sl2 = sl2 + w[i] * new_l * new_l
            take = moves & (new_l != ls[i]) & (sl2 > 0) & (slx * slx * suml2 > sumlx * sumlx * sl2)
            ls[i] = torch.where(take, new_l, ls[i])
            sumlx = torch.where(take, slx, sumlx)
            suml2 = torch.where(take, sl2, suml2)
    scale = sumlx / suml2
    ls = torch.where(empty, torch.full_like(ls, -nmax), ls)
    return ls + nmax, torch.where(empty, torch.zeros_like(scale), scale)


def _requantize_levels(x: torch.Tensor, d: torch.Tensor, dm: torch.Tensor | None,
                       levels: torch.Tensor, lo: int, hi: int, offset: int) -> torch.Tensor:
    """The final pass of every reference quantizer: with the stored (rounded) scales, each
    weight's level is recomputed; groups whose scale rounded to 0 keep the search's levels."""
    shifted = x + dm if dm is not None else x
    fresh = torch.clamp(_nearest(shifted / torch.where(d == 0, 1.0, d)), lo, hi) + offset
    return torch.where(d == 0, levels, fresh)


def _pack_scales_k4(ls: torch.Tensor, lm: torch.Tensor) -> torch.Tensor:
    """8 six-bit scales and mins (n, 8) -> Q4_K/Q5_K's 12 bytes (n, 12)."""
    out = torch.zeros(ls.shape[0], 12, dtype=torch.int64)
    out[:, 0:4] = ls[:, :4] | ((ls[:, 4:] >> 4) << 6)
    out[:, 4:8] = lm[:, :4] | ((lm[:, 4:] >> 4) << 6)
    out[:, 8:12] = (ls[:, 4:] & 0xF) | ((lm[:, 4:] & 0xF) << 4)
    return out


def _f16_bytes(x: torch.Tensor) -> torch.Tensor:
    return x.to(torch.float16).view(-1, 1).view(torch.uint8)  # (n,) -> (n, 2)


def _quantize_qkx(x: torch.Tensor, type_name: str) -> torch.Tensor:
    """Q4_K / Q5_K: 8 groups of 32 with a 6-bit scale and min each."""
    n = x.shape[0]
    nmax, rmin, nstep = (15, -1.0, 20) if type_name == "Q4_K" else (31, -0.5, 15)
    groups = x.view(n * 8, 32).t()  # (32, G)
    sum_x2 = torch.zeros(groups.shape[1])
    for i in range(32):
        sum_x2 += groups[i] * groups[i]
    # numpy's float32 sqrt is correctly rounded, as sqrtf is; torch's vectorized one is not.
    av_x = torch.from_numpy(np.sqrt(_divided(sum_x2, 32).numpy()))
    weights = av_x + groups.abs()
    levels, scales, mins = _make_qkx2(groups, weights, nmax, rmin, 0.1, nstep, False)
    scales, mins = scales.view(n, 8), mins.view(n, 8)
    max_scale, max_min = _positive_peak(scales), _positive_peak(mins)
    inv_scale = torch.where(max_scale > 0, _over(63, torch.where(max_scale > 0, max_scale, 1.0)), 0.0)
    inv_min = torch.where(max_min > 0, _over(63, torch.where(max_min > 0, max_min, 1.0)), 0.0)
    # uint8 stores, as the C code's (a negative level wraps), then at most 63.
    ls = torch.clamp(_nearest(inv_scale[:, None] * scales).long() & 0xFF, max=63)
    lm = torch.clamp(_nearest(inv_min[:, None] * mins).long() & 0xFF, max=63)
    d, dmin = _fp16_round(_divided(max_scale, 63)), _fp16_round(_divided(max_min, 63))
    dl = (d[:, None] * ls.float()).reshape(-1)  # (G,)
    dml = (dmin[:, None] * lm.float()).reshape(-1)
    q = _requantize_levels(groups, dl, dml, levels, 0, nmax, 0).t().reshape(n, 4, 2, 32).long()
    head = [_f16_bytes(d), _f16_bytes(dmin), _pack_scales_k4(ls, lm).to(torch.uint8)]
    low = (q[:, :, 0] & 0xF) | ((q[:, :, 1] & 0xF) << 4)  # (n, 4, 32)
    if type_name == "Q4_K":
        return torch.cat([*head, low.reshape(n, 128).to(torch.uint8)], dim=-1)
    bits = (q >> 4).reshape(n, 8, 32)  # fifth bit of sub-block s goes to bit s of qh
    qh = (bits << torch.arange(8).view(1, 8, 1)).sum(1)
    return torch.cat([*head, qh.to(torch.uint8), low.reshape(n, 128).to(torch.uint8)], dim=-1)


def _quantize_q2_k(x: torch.Tensor) -> torch.Tensor:
    n = x.shape[0]
    groups = x.view(n * 16, 16).t()  # (16, G)
    levels, scales, mins = _make_qkx2(groups, groups.abs(), 3, -0.5, 0.1, 15, True)
    scales, mins = scales.view(n, 16), mins.view(n, 16)
    max_scale, max_min = _positive_peak(scales), _positive_peak(mins)
    iscale = torch.where(max_scale > 0, _over(15, torch.where(max_scale > 0, max_scale, 1.0)), 0.0)
    imin = torch.where(max_min > 0, _over(15, torch.where(max_min > 0, max_min, 1.0)), 0.0)
    ls = _nearest(iscale[:, None] * scales).long()
    lm = _nearest(imin[:, None] * mins).long()
    packed = (ls | (lm << 4)) & 0xFF  # (n, 16): the uint8 the C code stores
    d = torch.where(max_scale > 0, _fp16_round(_divided(max_scale, 15)), 0.0)
    dmin = torch.where(max_min > 0, _fp16_round(_divided(max_min, 15)), 0.0)
    dl = (d[:, None] * (packed & 0xF).float()).reshape(-1)
    dml = (dmin[:, None] * (packed >> 4).float()).reshape(-1)
    q = _requantize_levels(groups, dl, dml, levels, 0, 3, 0).t().reshape(n, 2, 4, 32).long()
    qs = (q << torch.tensor([0, 2, 4, 6]).view(1, 1, 4, 1)).sum(2)  # (n, 2, 32)
    return torch.cat([packed.to(torch.uint8), qs.reshape(n, 64).to(torch.uint8),
                      _f16_bytes(d), _f16_bytes(dmin)], dim=-1)


def _quantize_q3_k(x: torch.Tensor) -> torch.Tensor:
    n = x.shape[0]
    groups = x.view(n * 16, 16).t()  # (16, G)
    levels, scales = _make_q3(groups, 4)
    scales = scales.view(n, 16)
    peak, _ = _abs_peak(scales.t())  # (n,)
    has = peak != 0
    iscale = _over(-32, torch.where(has, peak, 1.0))
    sc = (torch.clamp(_nearest(iscale[:, None] * scales), -32, 31) + 32).long()  # (n, 16)
    sc = torch.where(has[:, None], sc, 0)
    packed = torch.zeros(n, 12, dtype=torch.int64)
    packed[:, :8] = (sc[:, :8] & 0xF) | ((sc[:, 8:] & 0xF) << 4)
    high = (sc >> 4).view(n, 4, 4)  # (n, j // 4, j % 4)
    packed[:, 8:] = (high << (2 * torch.arange(4)).view(1, 4, 1)).sum(1)
    d = torch.where(has, _fp16_round(_over(1, iscale)), 0.0)
    dl = (d[:, None] * (sc - 32).float()).reshape(-1)
    q = _requantize_levels(groups, dl, None, levels, -4, 3, 4).t().reshape(n, 256).long()
    hbits = (q > 3).long().view(n, 8, 32)  # weight j's high bit: byte j % 32, bit j // 32
    hmask = (hbits << torch.arange(8).view(1, 8, 1)).sum(1)
    low = (q & 3).view(n, 2, 4, 32)
    qs = (low << torch.tensor([0, 2, 4, 6]).view(1, 1, 4, 1)).sum(2)
    return torch.cat([hmask.to(torch.uint8), qs.reshape(n, 64).to(torch.uint8),
                      packed.to(torch.uint8), _f16_bytes(d)], dim=-1)


def _quantize_q6_k(x: torch.Tensor) -> torch.Tensor:
    n = x.shape[0]
    groups = x.view(n * 16, 16).t()  # (16, G)
    levels, scales = _make_qx(groups, 32)
    scales = scales.view(n, 16)
    peak, amax = _abs_peak(scales.t())
    empty = amax < GROUP_MAX_EPS
    iscale = _over(-128, torch.where(empty, 1.0, peak))
    sc = torch.clamp(_nearest(iscale[:, None] * scales), max=127).long()
    sc = torch.where(empty[:, None], 0, sc)
    d = torch.where(empty, 0.0, _fp16_round(_over(1, iscale)))
    dl = (d[:, None] * sc.float()).reshape(-1)
    q = _requantize_levels(groups, dl, None, levels, -32, 31, 32).t().reshape(n, 2, 4, 32).long()
    q = torch.where(empty.view(n, 1, 1, 1), 0, q)
    ql = (q[:, :, 0:2] & 0xF) | ((q[:, :, 2:4] & 0xF) << 4)  # (n, 2, 2, 32)
    qh = ((q >> 4) << torch.tensor([0, 2, 4, 6]).view(1, 1, 4, 1)).sum(2)  # (n, 2, 32)
    return torch.cat([ql.reshape(n, 128).to(torch.uint8), qh.reshape(n, 64).to(torch.uint8),
                      sc.to(torch.int8).view(torch.uint8), _f16_bytes(d)], dim=-1)


_QUANTIZERS = {"Q2_K": _quantize_q2_k, "Q3_K": _quantize_q3_k, "Q4_K": _quantize_qkx,
               "Q5_K": _quantize_qkx, "Q6_K": _quantize_q6_k}


def quantize_k(values: torch.Tensor, type_name: str) -> torch.Tensor:
    """float weights whose count is a multiple of 256 -> flat uint8 bytes of `type_name`."""
    blocks = values.detach().to(torch.float32).cpu().reshape(-1, QK_K)  # (n, 256)
    quantizer = _QUANTIZERS[type_name]
    pieces = []
    for start in range(0, blocks.shape[0], _CHUNK):
        chunk = blocks[start:start + _CHUNK].contiguous()
        pieces.append(quantizer(chunk, type_name) if type_name in ("Q4_K", "Q5_K")
                      else quantizer(chunk))
    if not pieces:
        return torch.empty(0, dtype=torch.uint8)
    return torch.cat(pieces).reshape(-1)
