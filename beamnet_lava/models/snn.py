"""Feed-forward SLAYER CUBA network: the foundation model (``--model snn``).

Each layer is a stock ``slayer.block.cuba.Dense`` block (synapse + CUBA LIF
neuron, 8-bit weight quantization), so the network exports to NetX with
slayer's own ``export_hdf5`` and runs on Lava's bit-accurate LIF.

Blocks use ``delay_shift=False``: slayer's delay shift models the one-step
hop between layers by shifting and truncating each layer's output within the
sample window. Lava pipelines instead (each Dense adds one step and NetX
staggers each layer's reset by one step), so every layer sees the whole window
of the layer below. Without the shift the training model computes exactly that,
and Lava's output for a sample is the training output delayed by a fixed
latency (see :mod:`beamnet_lava.sim_cpu.runner`).
"""
from __future__ import annotations

import warnings

import numpy as np
import torch

from beamnet_lava.neurons import fixed_point
from beamnet_lava._quiet import import_slayer
from beamnet_lava.families.registry import provide


class CubaSNN(torch.nn.Module):
    """Dense CUBA layers ``n_in -> hidden... -> n_out``; input/output ``(batch, neurons, T)``."""

    def __init__(self, n_in: int, hidden: tuple[int, ...] | list[int], n_out: int,
                 neuron_params: dict, weight_norm: bool = True) -> None:
        super().__init__()
        slayer = import_slayer()
        sizes = [int(n_in), *[int(h) for h in hidden], int(n_out)]
        self.sizes = sizes
        self._init_args = (list(hidden), dict(neuron_params), weight_norm)
        with warnings.catch_warnings():  # slayer uses torch's deprecated weight_norm
            warnings.simplefilter("ignore", FutureWarning)
            self.blocks = torch.nn.ModuleList(
                slayer.block.cuba.Dense(dict(neuron_params), a, b, weight_norm=weight_norm,
                                        delay_shift=False)
                for a, b in zip(sizes[:-1], sizes[1:])
            )
        for block, n in zip(self.blocks, sizes[1:]):
            block.neuron.shape = torch.Size([n])  # slayer sets it on first forward; export needs it

    def forward(self, spikes: torch.Tensor) -> torch.Tensor:
        return self.layer_outputs(spikes)[-1]

    def layer_outputs(self, spikes: torch.Tensor) -> list[torch.Tensor]:
        """Spike trains of every layer, input excluded."""
        outs = []
        x = spikes
        for block in self.blocks:
            x = block(x)
            outs.append(x)
        return outs

    def clone(self) -> "CubaSNN":
        """An independent copy (``copy.deepcopy`` fails on weight-normed modules)."""
        hidden, neuron_params, weight_norm = self._init_args
        twin = CubaSNN(self.sizes[0], hidden, self.sizes[-1], neuron_params, weight_norm)
        twin.load_state_dict(self.state_dict())
        return twin.train(self.training)

    def export_hdf5(self, handle) -> None:
        """Write the stock NetX ``layer/<i>`` groups.

        slayer's block export strips weight normalisation from the block as a
        side effect, so this exports a :meth:`clone` and leaves ``self`` intact.
        """
        twin = self.clone()
        layer = handle.create_group("layer")
        for i, block in enumerate(twin.blocks):
            block.export_hdf5(layer.create_group(f"{i}"))

    @classmethod
    def from_netx_layers(cls, layers: list) -> "CubaSNN":
        """Rebuild the training model from exported dense CUBA layers.

        The exported integer weights ``w`` become float weights ``w / 64`` (the
        slayer weight scale), which slayer's 8-bit quantizer maps back onto
        themselves; threshold and decays come from the hardware mantissas. The
        result computes bit for bit what the model that was exported computed.
        """
        first = layers[0]
        model = cls(first.weight.shape[1], [l.weight.shape[0] for l in layers[:-1]],
                    layers[-1].weight.shape[0], neuron_params=layers[0].slayer_neuron_params(),
                    weight_norm=False)
        slayer = import_slayer()
        for block, layer in zip(model.blocks, layers):
            block.neuron = slayer.neuron.cuba.Neuron(**layer.slayer_neuron_params())
            block.neuron.shape = torch.Size([layer.size])
            block.synapse.pre_hook_fx = block.neuron.quantize_8bit
            w = torch.tensor(layer.weight.astype(np.float32) / fixed_point.W_SCALE)
            with torch.no_grad():
                block.synapse.weight.copy_(w.reshape(block.synapse.weight.shape))
        return model.eval()


def predict_from_counts(counts: np.ndarray) -> np.ndarray:
    """Class = output neuron with most spikes (ties: lowest index), shared by all back-ends."""
    return np.asarray(counts).argmax(axis=-1)


def build(cfg, n_in: int, n_out: int) -> CubaSNN:
    return CubaSNN(n_in, cfg.hidden, n_out, cfg.neuron_params)


# this module's hooks, attached by the registry (families.registry.load) through models/__init__.py's providers()
PROVIDES = [
    provide("build", build, "snn"),
]
