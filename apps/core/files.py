"""File helpers every app's storage layer shares."""

from __future__ import annotations

import shutil
from pathlib import Path


def remove_tree(path: Path) -> None:
    """Removes a folder we generated and everything under it; one already gone is fine."""
    shutil.rmtree(path, ignore_errors=True)
