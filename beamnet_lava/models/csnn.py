"""Convolutional SLAYER CUBA network (``--model csnn``): Conv, Pool, Flatten and Dense blocks.

Every block is a stock ``slayer.block.cuba`` block (8-bit quantised weights, CUBA LIF
neurons), so the network exports with slayer's own ``export_hdf5`` into lava-dl's NetX
format (``conv``, ``pool``, ``flatten``, ``dense`` layer groups). As in
:mod:`beamnet_lava.models.snn` the blocks use ``delay_shift=False``: Lava pipelines one
step per layer instead, and a Lava layer's output is the training output delayed by a
fixed latency.

Inputs come flat, ``(batch, C*H*W, T)`` in (channel, row, column) order, which is how the
data loaders lay out images and event frames (tonic's ``ToFrame``: P x H x W); the model
reshapes them to slayer's ``NCHWT``. :meth:`CSNN.layer_outputs` returns every neuron
layer's spikes flat again, ``(batch, neurons, T)``, in slayer's flatten order (C, H, W).
"""
from __future__ import annotations

import warnings
from math import isqrt

import numpy as np
import torch

from beamnet_lava.config import CSNNConfig, ConvLayer, layer_shapes
from beamnet_lava.data.encoding import latency_times, rate_encode, times_to_raster
from beamnet_lava.errors import BeamnetError
from beamnet_lava.families.registry import provide
from beamnet_lava.neurons import fixed_point
from beamnet_lava._quiet import import_slayer

LATENCY_FLOOR = 0.05      # images: pixels below it send no spike under the latency code


def infer_input_shape(n_in: int, given: tuple[int, ...] = ()) -> tuple[int, int, int]:
    """(channels, height, width) of ``n_in`` flat inputs: ``given`` when set, else a square
    grey image (``s*s``) or a square two-polarity event frame (``2*s*s``)."""
    if given:
        shape = tuple(int(v) for v in given)
        if int(np.prod(shape)) != n_in:
            raise BeamnetError(f"config: input_shape={list(shape)} holds {int(np.prod(shape))} "
                               f"inputs but the data has {n_in}; fix input_shape or leave it empty")
        return shape  # type: ignore[return-value]
    for c in (1, 2):
        if n_in % c == 0 and isqrt(n_in // c) ** 2 == n_in // c:
            s = isqrt(n_in // c)
            return (c, s, s)
    raise BeamnetError(f"config: cannot tell the image shape of {n_in} inputs (not a square "
                       "image of 1 or 2 channels); set input_shape: [channels, height, width]")


def encode(cfg: CSNNConfig, x: np.ndarray) -> np.ndarray:
    """The network's input spikes ``(n, inputs, T)``: images ``(n, inputs)`` rate coded
    (deterministic, :func:`rate_encode`) or latency coded (one spike per pixel at
    ``(T-1) * (1 - x)``, pixels below :data:`LATENCY_FLOOR` silent); event rasters
    ``(n, inputs, T)`` pass as they are."""
    x = np.asarray(x)
    if x.ndim == 3:
        return np.ascontiguousarray(x, dtype=np.float32)
    if cfg.encoding == "latency":
        t = cfg.time_steps - 1
        return times_to_raster(latency_times(x, t, t, LATENCY_FLOOR), cfg.time_steps)
    return rate_encode(x, cfg.time_steps)


class CSNN(torch.nn.Module):
    """``input -> conv/pool blocks -> flatten -> dense blocks -> n_out`` of slayer CUBA blocks."""

    def __init__(self, input_shape: tuple[int, int, int], stack: tuple[ConvLayer, ...], n_out: int,
                 neuron_params: dict, pool_weight: float = 1.5, weight_norm: bool = True,
                 weight_scale: float = 1.0) -> None:
        super().__init__()
        slayer = import_slayer()
        self.input_shape = tuple(int(v) for v in input_shape)
        flat = () if any(l.kind == "flatten" for l in stack) else (ConvLayer("flatten"),)
        self.stack = tuple(stack) + flat + (ConvLayer("dense", int(n_out)),)
        self.shapes = layer_shapes(self.stack, self.input_shape)
        self._init_args = (dict(neuron_params), float(pool_weight), weight_norm, float(weight_scale))
        blocks = []
        shape: tuple[int, ...] = self.input_shape
        with warnings.catch_warnings():  # slayer uses torch's deprecated weight_norm
            warnings.simplefilter("ignore", FutureWarning)
            for layer, out_shape in zip(self.stack, self.shapes):
                p = dict(neuron_params)
                if layer.kind == "conv":
                    block = slayer.block.cuba.Conv(
                        p, shape[0], layer.channels, layer.kernel, stride=layer.stride,
                        padding=layer.padding, dilation=layer.dilation, groups=layer.groups,
                        weight_scale=weight_scale, weight_norm=weight_norm, delay_shift=False)
                elif layer.kind == "pool":
                    block = slayer.block.cuba.Pool(p, layer.kernel, stride=layer.stride,
                                                   weight_scale=pool_weight, delay_shift=False)
                elif layer.kind == "flatten":
                    block = slayer.block.cuba.Flatten()
                else:
                    block = slayer.block.cuba.Dense(p, shape[0], layer.channels, weight_scale=weight_scale,
                                                    weight_norm=weight_norm, delay_shift=False)
                if layer.kind == "flatten":   # slayer sets shapes on first forward; export needs them
                    block.shape = [int(np.prod(shape)), 1, 1]
                else:
                    block.neuron.shape = torch.Size(out_shape)
                blocks.append(block)
                shape = out_shape
        self.blocks = torch.nn.ModuleList(blocks)
        # [inputs, neurons of each neuron layer..., classes]
        self.sizes = [int(np.prod(self.input_shape))] + [int(np.prod(s)) for l, s in
                                                         zip(self.stack, self.shapes) if l.kind != "flatten"]

    @property
    def neuron_blocks(self) -> list:
        """The blocks with neurons (every block but flatten), in order."""
        return [b for b, l in zip(self.blocks, self.stack) if l.kind != "flatten"]

    def forward(self, spikes: torch.Tensor) -> torch.Tensor:
        return self.layer_outputs(spikes)[-1]

    def layer_outputs(self, spikes: torch.Tensor) -> list[torch.Tensor]:
        """Spike trains ``(batch, neurons, T)`` of every neuron layer, input excluded."""
        n, _, steps = spikes.shape
        x = spikes.reshape(n, *self.input_shape, steps)
        outs = []
        for block, layer in zip(self.blocks, self.stack):
            x = block(x)
            if layer.kind != "flatten":
                outs.append(x.reshape(n, -1, steps))
        return outs

    def clone(self) -> "CSNN":
        """An independent copy (``copy.deepcopy`` fails on weight-normed modules)."""
        neuron_params, pool_weight, weight_norm, weight_scale = self._init_args
        twin = CSNN(self.input_shape, self.stack[:-1], self.sizes[-1], neuron_params, pool_weight,
                    weight_norm, weight_scale)
        twin.load_state_dict(self.state_dict())
        return twin.train(self.training)

    def synapse_weights(self) -> list[torch.Tensor]:
        """Each neuron block's quantised weights as slayer applies them."""
        return [b.synapse.pre_hook_fx(b.synapse.weight) for b in self.neuron_blocks]


def input_block(shape: tuple[int, int, int]):
    """A neuron-less ``slayer.block.cuba.Input`` of ``shape`` (C, H, W): its ``export_hdf5``
    writes the ``input`` layer (type and shape only) a conv network's NetX file starts with."""
    block = import_slayer().block.cuba.Input(None)
    block.input_shape = torch.Size(shape)      # (C, H, W), as slayer records it
    return block


def spec_of(cfg: CSNNConfig, n_in: int) -> tuple[tuple[int, int, int], tuple[ConvLayer, ...]]:
    return infer_input_shape(n_in, cfg.input_shape), cfg.stack


def build(cfg: CSNNConfig, n_in: int, n_out: int) -> CSNN:
    shape, stack = spec_of(cfg, n_in)
    return CSNN(shape, stack, n_out, cfg.neuron_params, cfg.pool_weight, weight_scale=cfg.weight_scale)


def train_bytes(cfg: CSNNConfig, n_samples: int, n_inputs: int, n_classes: int) -> float:
    """Largest arrays of training ``cfg``: the split's input spikes, parameters with their
    Adam moments, and every layer's state for a batch (slayer keeps about ``SLAYER_STATE``
    float32 tensors per neuron and step for the gradient); for the memory check before
    training (:mod:`beamnet_lava.budget`)."""
    shape = infer_input_shape(n_inputs, cfg.input_shape)
    stack = cfg.full_stack(n_classes)
    shapes = layer_shapes(stack, shape)
    neurons = sum(int(np.prod(s)) for l, s in zip(stack, shapes) if l.kind != "flatten")
    params, prev = 0, shape
    for layer, s in zip(stack, shapes):
        if layer.kind == "conv":
            params += layer.channels * prev[0] // layer.groups * layer.kernel ** 2
        elif layer.kind == "dense":
            params += layer.channels * prev[0]
        prev = s
    t, b = int(cfg.time_steps), max(int(cfg.batch_size), 256)
    return 4.0 * (n_samples * n_inputs * t + 4 * params + b * neurons * t * 8)


def weight_scale_ok(w: np.ndarray) -> bool:
    """Whether exported integer weights fit the 8-bit mantissa range."""
    return bool(w.size == 0 or (w.min() >= fixed_point.WEIGHT_MANT_MIN
                                and w.max() <= fixed_point.WEIGHT_MANT_MAX + 1))


def fan_outs(model: CSNN) -> list[np.ndarray]:
    """Per neuron layer, each presynaptic neuron's number of non-zero synapses (its actual
    fan-out, flat in (C, H, W) order): what one of its spikes costs in synaptic events.

    A conv neuron reaches only the output positions whose window covers it (fewer at the
    borders, none where the stride skips it), times the output channels with a non-zero
    kernel weight for it; computed exactly as the gradient of the summed convolution of the
    non-zero mask (d/dx_i sum_j conv(x)_j = sum of mask weights leaving i)."""
    fans = []
    shape: tuple[int, ...] = model.input_shape
    for block, layer, out_shape in zip(model.blocks, model.stack, model.shapes):
        if layer.kind == "flatten":
            shape = out_shape
            continue
        w = block.synapse.pre_hook_fx(block.synapse.weight).detach()
        if layer.kind == "dense":
            mask = (w.reshape(w.shape[0], -1) != 0).float()
            fans.append(mask.sum(0).numpy().astype(np.int64))
        else:
            c = shape[0]
            if layer.kind == "conv":
                mask = (w.reshape(w.shape[:4]) != 0).float()
                groups, stride, pad, dil = layer.groups, layer.stride, layer.padding, layer.dilation
            else:
                mask = (w.reshape(1, 1, layer.kernel, layer.kernel) != 0).float().repeat(c, 1, 1, 1)
                groups, stride, pad, dil = c, layer.stride, 0, 1
            x = torch.zeros((1, *shape), requires_grad=True)
            torch.nn.functional.conv2d(x, mask, stride=stride, padding=pad, dilation=dil,
                                       groups=groups).sum().backward()
            fans.append(x.grad.reshape(-1).numpy().round().astype(np.int64))
        shape = out_shape
    return fans


# this module's hooks, attached by the registry (families.registry.load) through models/__init__.py's providers()
PROVIDES = [
    provide("build", build, "csnn"),
]
