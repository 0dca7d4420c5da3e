"""The ANN baseline: a plain fp32 multilayer perceptron (torch), sized to a BEAM-Net's budget."""
from __future__ import annotations

import math

import torch

from beamnet_lava.config import BeamnetConfig
from beamnet_lava.families.registry import provide


class MLP(torch.nn.Module):
    """``n_in -> hidden... -> n_out`` with ReLU; returns logits."""

    def __init__(self, n_in: int, hidden: tuple[int, ...] | list[int], n_out: int) -> None:
        super().__init__()
        self.sizes = [int(n_in), *[int(h) for h in hidden], int(n_out)]
        self.layers = torch.nn.ModuleList(torch.nn.Linear(a, b)
                                          for a, b in zip(self.sizes[:-1], self.sizes[1:]))

    def layer_outputs(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Post-activation outputs of every layer (logits last)."""
        outs = []
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = torch.relu(x)
            outs.append(x)
        return outs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer_outputs(x)[-1]

    @property
    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    @property
    def macs(self) -> int:
        """Multiply-accumulates per inference (one per weight)."""
        return sum(layer.weight.numel() for layer in self.layers)

    @property
    def adds(self) -> int:
        """Bias additions per inference (ReLU comparisons are not counted)."""
        return sum(layer.bias.numel() for layer in self.layers)


def hidden_for_budget(n_in: int, n_out: int, budget: int) -> int:
    """One hidden layer's width whose MLP has about ``budget`` parameters."""
    return max(1, math.floor((budget - n_out) / (n_in + 1 + n_out) + 0.5))


STORED_BUFFERS = ("delays", "eta")   # buffers a spiking model stores on chip besides its weights


def stored_parameters(model: torch.nn.Module) -> int:
    """Parameters a trained model stores: its parameters plus stored buffers (BEAM-Net's
    delays and eta; equal to :func:`beamnet_param_count` for a BEAM-Net)."""
    return int(sum(p.numel() for p in model.parameters())
               + sum(b.numel() for name, b in model.named_buffers() if name in STORED_BUFFERS))


def beamnet_param_count(n_in: int, n_memory: int, n_classes: int) -> int:
    """Parameters a BEAM-Net stores: weights and delays per synapse, the readout, eta."""
    return 2 * n_in * n_memory + n_memory * n_classes + 1


def build(cfg, n_in: int, n_out: int) -> MLP:
    """``cfg.hidden``, or one hidden layer sized to ``param_budget`` (0: the default BEAM-Net's)."""
    hidden = cfg.hidden or (hidden_for_budget(n_in, n_out, cfg.param_budget or beamnet_param_count(
        n_in, BeamnetConfig().n_memory, n_out)),)
    return MLP(n_in, hidden, n_out)


# this module's hooks, attached by the registry (families.registry.load) through models/__init__.py's providers()
PROVIDES = [
    provide("build", build, "ann"),
]
