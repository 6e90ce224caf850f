"""Training: config, the loop with callbacks, checkpoints, LoRA and multi-process training.

See README.md in this directory for launching multi-GPU and multi-node runs."""

from ml.train.checkpoint import CheckpointMeta, load_checkpoint, save_checkpoint
from ml.train.config import TrainConfig, load_train_config
from ml.train.lora import merge_lora
from ml.train.trainer import Callbacks, TrainResult, train

__all__ = [
    "Callbacks",
    "CheckpointMeta",
    "TrainConfig",
    "TrainResult",
    "load_checkpoint",
    "load_train_config",
    "merge_lora",
    "save_checkpoint",
    "train",
]
