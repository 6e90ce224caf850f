"""Shared test setup: one thread, so the suite behaves on a small shared CI machine."""

import torch

torch.set_num_threads(1)
