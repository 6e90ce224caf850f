"""peft's LoRA layer over a QuantLinear: the packed base computes y = x W^T with its own
kernels (its weight frozen, never given a gradient), the adapters add B A x on top in float.
Merging needs float weights, so `ml.train.packed.unpack_linears` dequantizes the base first."""

from __future__ import annotations

from peft.tuners.lora.layer import Linear

from ml.infer.qlinear import QuantLinear


class PackedLoraLinear(Linear):
    """Registered with peft for QuantLinear targets (LoraConfig._register_custom_module)."""

    def merge(self, safe_merge: bool = False, adapter_names: list[str] | None = None) -> None:
        if isinstance(self.get_base_layer(), QuantLinear):
            raise ValueError("adapters merge into float weights: unpack the base layers first "
                             "(ml.train.packed.unpack_linears)")
        super().merge(safe_merge, adapter_names)
