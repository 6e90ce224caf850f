"""`LazyTensors`: a model's weights as a mapping that reads each tensor only when it is asked
for. An importer hands one to `write_sou`, which takes the shapes for the header up front and
then pulls, converts and writes the tensors one at a time, so a conversion holds one tensor
(not the whole model) beside the memory-mapped source.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

import torch


class LazyTensors(Mapping[str, torch.Tensor]):
    """{name: tensor}, each tensor made by `load(name)` on every access and not kept."""

    def __init__(self, shapes: Mapping[str, tuple[int, ...]], load: Callable[[str], torch.Tensor]):
        self._shapes = {name: tuple(int(d) for d in shape) for name, shape in shapes.items()}
        self._load = load

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Each tensor's shape, known without reading it."""
        return dict(self._shapes)

    def select(self, names: Iterable[str]) -> LazyTensors:
        """The tensors named, in that order (the order they are written in)."""
        return LazyTensors({name: self._shapes[name] for name in names}, self._load)

    def __getitem__(self, name: str) -> torch.Tensor:
        if name not in self._shapes:
            raise KeyError(name)
        tensor = self._load(name)
        if tuple(tensor.shape) != self._shapes[name]:
            raise ValueError(f"tensor {name!r} was read with shape {tuple(tensor.shape)}, "
                             f"announced as {self._shapes[name]}")
        return tensor

    def __iter__(self) -> Iterator[str]:
        return iter(self._shapes)

    def __len__(self) -> int:
        return len(self._shapes)

    def __contains__(self, name: object) -> bool:
        return name in self._shapes


def shapes_of(tensors: Mapping[str, torch.Tensor]) -> dict[str, tuple[int, ...]]:
    """Each tensor's shape, without reading the tensors of a `LazyTensors`."""
    if isinstance(tensors, LazyTensors):
        return tensors.shapes
    return {name: tuple(tensor.shape) for name, tensor in tensors.items()}
