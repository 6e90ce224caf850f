"""Neural personality space: a small projection network over frozen sentence embeddings,
trained by backpropagation with a supervised contrastive loss (Khosla et al., 2020) so that
texts of one personality cluster together. Each personality is the unit centroid of its
projected training texts; alignment is cosine similarity to that centroid mapped to [0, 1],
and classification is the nearest centroid. Saved as `space.safetensors` (weights and
centroids) plus `space.json` (config and labels)."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn
from torch.nn import functional as F

from ml.personality.base import Personality, PersonalityError
from ml.personality.embeddings import EMBEDDING_DIM, default_device, embed
from ml.personality.metrics import prepare_texts

FORMAT_VERSION = 1
MIN_TEXTS_PER_LABEL = 10  # contrastive training needs several positives per persona
WEIGHTS_FILE = "space.safetensors"
CONFIG_FILE = "space.json"

EpochCallback = Callable[[int, float], None]  # (epoch, mean training loss of that epoch)


@dataclasses.dataclass
class NeuralConfig:
    hidden: int = 512  # width of the projection MLP's hidden layer
    out_dim: int = 128  # size of the personality space the centroids live in
    dropout: float = 0.1  # regularises a head that is small next to its input
    temperature: float = 0.1  # contrastive softmax sharpness; 0.05-0.2 is the usual range
    epochs: int = 20  # passes over the training texts; more overfits (Shakespeare benchmark)
    batch_size: int = 256  # large batches give every anchor positives of its own label
    lr: float = 1e-3  # AdamW learning rate
    weight_decay: float = 1e-2  # AdamW weight decay
    input_noise: float = 0.02  # Gaussian noise on embeddings: a cheap augmentation
    seed: int = 0  # makes training reproducible


class ProjectionHead(nn.Module):
    def __init__(self, cfg: NeuralConfig):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(EMBEDDING_DIM, cfg.hidden),
            nn.GELU(),
            nn.Dropout(cfg.dropout),
            nn.Linear(cfg.hidden, cfg.out_dim),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.net(x), dim=-1)  # (B, D) unit vectors


def supervised_contrastive_loss(
    z: torch.Tensor, y: torch.Tensor, temperature: float
) -> torch.Tensor:
    """SupCon loss for unit vectors z (B, D) with integer labels y (B,)."""
    sim = z @ z.T / temperature  # (B, B)
    self_mask = torch.eye(len(z), dtype=torch.bool, device=z.device)
    sim = sim.masked_fill(self_mask, float("-inf"))
    log_prob = sim - torch.logsumexp(sim, dim=1, keepdim=True)  # (B, B)
    positives = (y[:, None] == y[None, :]) & ~self_mask  # (B, B)
    n_pos = positives.sum(1)
    has_pos = n_pos > 0  # an anchor alone in its class has nothing to pull towards
    pos_log_prob = log_prob.masked_fill(~positives, 0.0).sum(1)
    return -(pos_log_prob[has_pos] / n_pos[has_pos]).mean()


class NeuralPersonaSpace:
    """Several personalities in one learned space; see the module docstring."""

    def __init__(
        self, labels: list[str], head: ProjectionHead, centroids: torch.Tensor, cfg: NeuralConfig
    ):
        self.labels = labels
        self.head = head.eval()
        self.centroids = centroids  # (K, D) unit vectors
        self.cfg = cfg

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        labels: Sequence[str],
        cfg: NeuralConfig | None = None,
        on_epoch: EpochCallback | None = None,
    ):
        _check_labels(labels)
        return cls.fit_embeddings(embed(list(texts)), labels, cfg, on_epoch)

    @classmethod
    def fit_embeddings(
        cls,
        embeddings: np.ndarray,
        labels: Sequence[str],
        cfg: NeuralConfig | None = None,
        on_epoch: EpochCallback | None = None,
    ):
        """Train on precomputed embeddings (N, 384) with one label per row; `on_epoch(epoch,
        mean loss)` is called after each epoch (1-based) so a caller can report progress."""
        cfg = cfg or NeuralConfig()
        _check_labels(labels)
        names = sorted(set(labels))
        device = default_device()
        generator = torch.Generator().manual_seed(cfg.seed)
        torch.manual_seed(cfg.seed)
        x = torch.as_tensor(embeddings, dtype=torch.float32, device=device)  # (N, 384)
        y = torch.tensor([names.index(label) for label in labels], device=device)  # (N,)
        head = ProjectionHead(cfg).to(device)
        opt = torch.optim.AdamW(head.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        head.train()
        for epoch in range(1, cfg.epochs + 1):
            order = torch.randperm(len(x), generator=generator).to(device)
            losses = []
            for start in range(0, len(x), cfg.batch_size):
                idx = order[start : start + cfg.batch_size]
                if len(idx) < 2:
                    continue
                xb = x[idx] + cfg.input_noise * torch.randn_like(x[idx])
                loss = supervised_contrastive_loss(head(xb), y[idx], cfg.temperature)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                losses.append(loss.item())
            if on_epoch is not None and losses:
                on_epoch(epoch, sum(losses) / len(losses))
        head.eval()
        with torch.no_grad():
            z = head(x)  # (N, D)
            centroids = torch.stack([z[y == k].mean(0) for k in range(len(names))])
        return cls(names, head, F.normalize(centroids, dim=-1), cfg)

    @torch.no_grad()
    def similarities_embeddings(self, embeddings: np.ndarray) -> np.ndarray:
        """Cosine similarity of each text to each centroid, shape (N, K)."""
        device = self.centroids.device
        z = self.head(torch.as_tensor(embeddings, dtype=torch.float32, device=device))  # (N, D)
        return (z @ self.centroids.T).cpu().numpy()

    def similarities(self, texts: Sequence[str]) -> np.ndarray:
        prepared, _ = prepare_texts(texts)
        return self.similarities_embeddings(embed(prepared))

    def classify(self, texts: Sequence[str]) -> list[str]:
        """The nearest personality of each text."""
        return [self.labels[k] for k in self.similarities(texts).argmax(1)]

    def persona(self, label: str, space_dir: str | Path | None = None) -> NeuralPersonality:
        if label not in self.labels:
            raise PersonalityError(
                f"unknown persona {label!r}; this space has: {', '.join(self.labels)}"
            )
        return NeuralPersonality(self, label, space_dir)

    def save(self, directory: str | Path) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        tensors = {
            f"head.{k}": v.detach().cpu().contiguous() for k, v in self.head.state_dict().items()
        }
        tensors["centroids"] = self.centroids.detach().cpu().contiguous()
        save_file(tensors, str(directory / WEIGHTS_FILE))
        meta = {
            "format_version": FORMAT_VERSION,
            "embedding_model": "sentence-transformers/all-MiniLM-L6-v2",
            "labels": self.labels,
            "config": dataclasses.asdict(self.cfg),
        }
        (directory / CONFIG_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> NeuralPersonaSpace:
        directory = Path(directory)
        try:
            meta = json.loads((directory / CONFIG_FILE).read_text(encoding="utf-8"))
            tensors = load_file(str(directory / WEIGHTS_FILE))
        except (OSError, json.JSONDecodeError, ValueError, SafetensorError) as exc:
            raise PersonalityError(f"{directory}: cannot read persona space: {exc}") from exc
        if meta.get("format_version") != FORMAT_VERSION:
            raise PersonalityError(
                f"{directory / CONFIG_FILE}: unsupported format_version {meta.get('format_version')!r}"
            )
        known = {f.name for f in dataclasses.fields(NeuralConfig)}
        cfg = NeuralConfig(**{k: v for k, v in meta.get("config", {}).items() if k in known})
        labels = list(meta.get("labels", []))
        head = ProjectionHead(cfg)
        state = {k.removeprefix("head."): v for k, v in tensors.items() if k.startswith("head.")}
        centroids = tensors.get("centroids")
        if centroids is None or tuple(centroids.shape) != (len(labels), cfg.out_dim):
            raise PersonalityError(
                f"{directory / WEIGHTS_FILE}: centroids do not match {len(labels)} labels"
            )
        try:
            head.load_state_dict(state)
        except RuntimeError as exc:
            raise PersonalityError(
                f"{directory / WEIGHTS_FILE}: weights do not match config: {exc}"
            ) from exc
        device = default_device()
        return cls(labels, head.to(device), centroids.to(device), cfg)


class NeuralPersonality(Personality):
    """One personality of a `NeuralPersonaSpace`, stored as a reference to the space's folder."""

    kind = "neural"

    def __init__(self, space: NeuralPersonaSpace, label: str, space_dir: str | Path | None = None):
        self.space = space
        self.name = label
        self.space_dir = space_dir
        self._index = space.labels.index(label)

    def score(self, texts: Sequence[str]) -> list[float]:
        sims = self.space.similarities(texts)[:, self._index]
        return [0.0 if not t.strip() else float((s + 1.0) / 2.0) for t, s in zip(texts, sims)]

    def system_prompt(self) -> str:
        return f"You are {self.name}. Speak in {self.name}'s own voice, manner and vocabulary."

    def generation_defaults(self) -> dict[str, float]:
        return {"temperature": 0.8, "top_p": 0.95, "repetition_penalty": 1.1, "max_new_tokens": 256}

    def _payload(self) -> dict[str, Any]:
        if self.space_dir is None:
            raise PersonalityError(
                "a neural personality is stored by reference: save its space first"
            )
        return {"name": self.name, "space": str(self.space_dir)}

    @classmethod
    def _from_payload(cls, data: dict[str, Any], base_dir: Path | None) -> NeuralPersonality:
        space_dir = Path(data["space"])
        if not space_dir.is_absolute() and base_dir is not None:
            space_dir = base_dir / space_dir
        return NeuralPersonaSpace.load(space_dir).persona(data["name"], data["space"])


def _check_labels(labels: Sequence[str]) -> None:
    counts = Counter(labels)
    if len(counts) < 2:
        raise PersonalityError(f"a persona space needs at least 2 labels; got {len(counts)}")
    short = {k: v for k, v in sorted(counts.items()) if v < MIN_TEXTS_PER_LABEL}
    if short:
        listed = ", ".join(f"{k!r} has {v}" for k, v in short.items())
        raise PersonalityError(f"each label needs at least {MIN_TEXTS_PER_LABEL} texts: {listed}")
