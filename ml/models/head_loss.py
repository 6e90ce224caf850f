"""The output head and the next-token loss computed together, a few hundred rows at a time.

Training only needs each target's log-probability, not the logits: for a 49k-token vocabulary,
4 x 256 positions of float32 logits are 200 MB, and autograd would keep them (plus their
softmax) until backward. Here only rows that have a target are scored (under torch.compile,
every row, with the others' losses zeroed), in chunks, and the chunk's logits are dropped as
soon as its loss (and, for a frozen head, its input gradient) is known, so at most one chunk
of logits is alive at a time.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

from ml.data.dataset import IGNORE_INDEX

# Logit elements (rows x vocabulary) scored at once on a CPU: 16 MiB of float32, a few hundred
# rows of a 50k vocabulary, large enough that each chunk is still one efficient matmul.
CHUNK_ELEMENTS = 1 << 22
# The same on an accelerator: 512 MiB, about 2,700 rows of a 50k vocabulary. A few hundred rows
# leave tensor cores idle and cost a launch per chunk; a micro-batch then takes a few chunks.
ACCELERATOR_CHUNK_ELEMENTS = 1 << 27
REDUCTIONS = ("mean", "sum", "none")


def head_loss(
    hidden: torch.Tensor,
    norm: nn.Module,
    head: nn.Module,
    targets: torch.Tensor,
    reduction: str = "mean",
) -> torch.Tensor:
    """Final-norm + head + cross-entropy of hidden (B, T, C) against targets (B, T).

    "mean" -> scalar over targets != IGNORE_INDEX (0 when there are none), "sum" -> their
    scalar sum, "none" -> (B, T) per-token negative log-likelihood, 0 at ignored targets.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction {reduction!r} is not one of {REDUCTIONS}")
    if targets.shape != hidden.shape[:2]:
        raise ValueError(f"targets have shape {tuple(targets.shape)}, "
                         f"expected {tuple(hidden.shape[:2])}")
    keep = targets != IGNORE_INDEX  # (B, T)
    if _scores_every_row():
        # Every row scored (an ignored one against token 0), its loss then zeroed: shapes
        # that do not depend on the data, so the compiled graph holds the loss too.
        scored = torch.where(keep, targets, 0).flatten()
        losses = _row_losses(norm(hidden).flatten(0, 1), head, scored)  # (B*T,) float32
        losses = torch.where(keep.flatten(), losses, 0.0)
        if reduction == "none":
            return losses.view(targets.shape)
    else:
        rows = norm(hidden[keep])  # (N, C): the norm is per position, so only scored ones run
        losses = _row_losses(rows, head, targets[keep])  # (N,) float32
        if reduction == "none":
            return losses.new_zeros(targets.shape).masked_scatter(keep, losses)
    total = losses.sum()
    return total if reduction == "sum" else total / keep.sum().clamp(min=1)


def _scores_every_row() -> bool:
    """Under torch.compile: picking the rows that have a target (a boolean index) makes a
    shape only the data knows, which breaks the graph there and waits for the device on every
    micro-batch. Eager runs pick them, and skip the head's products for prompts and padding."""
    return torch.compiler.is_compiling()


def chunk_rows(vocab: int, device: torch.device) -> int:
    """Rows of logits scored at once on `device`."""
    elements = CHUNK_ELEMENTS if device.type == "cpu" else ACCELERATOR_CHUNK_ELEMENTS
    return max(1, elements // vocab)


def _row_losses(rows: torch.Tensor, head: nn.Module, targets: torch.Tensor) -> torch.Tensor:
    chunk = chunk_rows(head.out_features, rows.device)
    if type(head) is nn.Linear:
        # A plain head: the fused function below computes gradients without keeping logits.
        needs_grad = torch.is_grad_enabled() and rows.requires_grad
        frozen = not head.weight.requires_grad and (head.bias is None or not head.bias.requires_grad)
        return _LinearCrossEntropy.apply(rows, head.weight, head.bias, targets, chunk,
                                         needs_grad and frozen)
    # Any other head (quantized, or wrapped with adapters): each chunk's logits are recomputed
    # in backward instead of kept.
    grad = torch.is_grad_enabled()
    pieces = []
    for start in range(0, rows.shape[0], chunk):
        args = (head, rows[start:start + chunk], targets[start:start + chunk])
        pieces.append(checkpoint(_chunk_nll, *args, use_reentrant=False) if grad
                      else _chunk_nll(*args))
    return torch.cat(pieces) if pieces else rows.new_zeros(0, dtype=torch.float32)


def _chunk_nll(head: nn.Module, rows: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(head(rows).float(), targets, reduction="none")


class _LinearCrossEntropy(torch.autograd.Function):
    """rows (N, C), weight (V, C), bias (V,) or None, targets (N,) -> NLL per row (N,) float32.

    With `grad_now` (a frozen head, the LoRA case) each chunk's input gradient is computed in
    forward while its softmax is at hand: two head matmuls in all, as without chunking, and
    backward only scales them. Otherwise (the head trains too) backward recomputes each chunk,
    in the type forward multiplied in (autocast's, as for any other layer under autocast).
    """

    @staticmethod
    def forward(ctx, rows, weight, bias, targets, chunk, grad_now):
        losses = torch.empty(rows.shape[0], dtype=torch.float32, device=rows.device)
        grad_rows = torch.empty_like(rows) if grad_now else None
        # Under autocast the head is cast once here: autocast itself would cast the weight
        # again for every chunk, twice (a 49k x 576 head: 2 x 113 MB per chunk).
        matrix = _autocast_copy(weight)
        for start in range(0, rows.shape[0], chunk):
            end = min(start + chunk, rows.shape[0])
            logits = F.linear(rows[start:end], matrix, bias).float()  # (n, V)
            t = targets[start:end]
            lse = torch.logsumexp(logits, dim=-1)  # (n,)
            losses[start:end] = lse - logits.gather(1, t[:, None]).squeeze(1)
            if grad_now:
                grad_rows[start:end] = _chunk_grad_rows(logits, lse, t, matrix)
        ctx.chunk, ctx.compute_dtype = chunk, matrix.dtype
        ctx.save_for_backward(rows, weight, bias, targets, grad_rows)
        return losses

    @staticmethod
    def backward(ctx, grad_losses):
        rows, weight, bias, targets, grad_rows = ctx.saved_tensors
        need_rows, need_weight, need_bias = ctx.needs_input_grad[:3]
        scale = grad_losses.float()[:, None]  # (N, 1)
        if grad_rows is not None:
            return (grad_rows * scale).to(rows.dtype), None, None, None, None, None
        d_rows = torch.empty_like(rows) if need_rows else None
        d_weight = torch.zeros_like(weight, dtype=torch.float32) if need_weight else None
        d_bias = torch.zeros_like(bias, dtype=torch.float32) if need_bias else None
        # Backward runs outside autocast, so it casts for itself, once, to forward's type:
        # recomputed logits equal forward's, and bf16 products run on a GPU's tensor cores
        # (fp32 products run there at a small fraction of that rate, TF32 at half of it).
        dtype = ctx.compute_dtype
        matrix = weight.to(dtype)
        shift = None if bias is None else bias.to(dtype)
        for start in range(0, rows.shape[0], ctx.chunk):
            end = min(start + ctx.chunk, rows.shape[0])
            h = rows[start:end].to(dtype)
            logits = F.linear(h, matrix, shift).float()  # (n, V)
            lse = torch.logsumexp(logits, dim=-1)
            d_logits = _softmax_minus_onehot(logits, lse, targets[start:end]) * scale[start:end]
            if need_bias:
                d_bias += d_logits.sum(0)
            d_logits = d_logits.to(dtype)
            if need_rows:
                d_rows[start:end] = (d_logits @ matrix).to(rows.dtype)
            if need_weight:
                d_weight += (d_logits.t() @ h).float()
        return (
            d_rows,
            None if d_weight is None else d_weight.to(weight.dtype),
            None if d_bias is None else d_bias.to(bias.dtype),
            None, None, None,
        )


def _autocast_copy(weight: torch.Tensor) -> torch.Tensor:
    """`weight` in the autocast type when autocast is on for its device (else itself)."""
    device = weight.device.type
    if not torch.is_autocast_enabled(device):
        return weight
    return weight.to(torch.get_autocast_dtype(device))


def _softmax_minus_onehot(logits, lse, targets):
    """d NLL / d logits for each row, computed in place over `logits` (n, V)."""
    grad = logits.sub_(lse[:, None]).exp_()
    grad[torch.arange(grad.shape[0], device=grad.device), targets] -= 1.0
    return grad


def _chunk_grad_rows(logits, lse, targets, weight):
    d_logits = _softmax_minus_onehot(logits, lse, targets)  # (n, V)
    return d_logits.to(weight.dtype) @ weight  # (n, C)
