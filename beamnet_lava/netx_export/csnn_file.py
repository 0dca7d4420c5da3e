"""A CSNN's NetX file: lava-dl's own conv / pool / flatten / dense layer groups, read back.

The export is exactly what slayer's blocks write (``export_hdf5`` of ``cuba.Input`` without
neurons, ``cuba.Conv``, ``cuba.Pool``, ``cuba.Flatten``, ``cuba.Dense``) plus beamnet-lava's
root attributes (``model = csnn``, the encoding, ``time_steps``, the temperature), so
lava-dl's ``netx.hdf5.Network`` builds it when it has no pooling layer (lava-dl 0.6's
``create_pool`` raises ``NotImplementedError``).

:func:`read_csnn` validates every value before anything reaches Lava: layer types and
order, shapes that chain (recomputed from kernel, stride, padding, dilation, groups), integer
weights in the 8-bit mantissa range, a pooling layer's weights a constant non-zero kernel,
the CUBA neuron constants. The file then rebuilds the training model bit for bit
(:meth:`CsnnFile.to_model`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch

from beamnet_lava.config import CSNNConfig, ConvLayer, layer_shapes
from beamnet_lava.errors import BeamnetError
from beamnet_lava.families.registry import provide
from beamnet_lava.models.csnn import CSNN, input_block
from beamnet_lava.names import EVENT_DATASETS
from beamnet_lava.neurons import fixed_point
from beamnet_lava.netx_export.netx_file import (_integers, _numeric, _read_neuron, layer_groups,
                                                open_hdf5, read_attrs, read_string)

KINDS = ("conv", "pool", "flatten", "dense")


@dataclass
class ConvNetLayer:
    """One validated layer of a CSNN file (``weight`` in integer mantissas; None for flatten)."""

    index: int                     # its group name in the file
    spec: ConvLayer
    shape: tuple[int, ...]         # output (C, H, W) or (N,)
    weight: np.ndarray | None = None
    v_th_mant: int = 0
    i_decay: int = 0
    v_decay: int = 0

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def neurons(self) -> bool:
        return self.spec.kind != "flatten"


@dataclass
class CsnnFile:
    path: Path
    input_shape: tuple[int, int, int]
    layers: list[ConvNetLayer]
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def input_size(self) -> int:
        return int(np.prod(self.input_shape))

    @property
    def neuron_layers(self) -> list[ConvNetLayer]:
        return [l for l in self.layers if l.neurons]

    @property
    def has_pool(self) -> bool:
        return any(l.spec.kind == "pool" for l in self.layers)

    def describe(self) -> str:
        parts = ["x".join(str(v) for v in self.input_shape)]
        for l in self.layers:
            parts.append(l.spec.kind if l.spec.kind == "flatten" else
                         f"{l.spec.kind} {'x'.join(str(v) for v in l.shape)}")
        return f"{self.path} (NetX, CSNN of lava-dl conv/pool/dense layers: {' -> '.join(parts)})"

    def config(self) -> CSNNConfig:
        """The config the file records (its stack, neuron constants, encoding)."""
        first = self.neuron_layers[0]
        stack = tuple(_spec_text(l.spec) for l in self.layers[:-1])
        pools = [l for l in self.layers if l.spec.kind == "pool"]
        events = {k: self.attrs[k] for k in ("event_downsample", "event_polarity", "event_window_ms")
                  if k in self.attrs}
        return CSNNConfig(
            dataset=self.attrs.get("dataset", "digits"), seed=int(self.attrs.get("seed", 0)),
            time_steps=int(self.attrs.get("time_steps", 16)), layers=stack,
            input_shape=self.input_shape, encoding=self.attrs.get("encoding", "rate")
            if self.attrs.get("encoding") in ("rate", "latency") else "rate",
            threshold=first.v_th_mant / fixed_point.W_SCALE,
            current_decay=first.i_decay / fixed_point.DECAY_UNITY,
            voltage_decay=first.v_decay / fixed_point.DECAY_UNITY,
            pool_weight=(float(pools[0].weight.reshape(-1)[0]) / fixed_point.W_SCALE) if pools else 1.5,
            **events)

    def to_model(self) -> CSNN:
        """The training model this file was exported from: weights ``w / 64`` (slayer's 8-bit
        quantiser maps them onto themselves), neurons from the hardware constants."""
        from beamnet_lava._quiet import import_slayer

        slayer = import_slayer()
        cfg = self.config()
        model = CSNN(self.input_shape, cfg.stack, self.layers[-1].size, cfg.neuron_params,
                     cfg.pool_weight, weight_norm=False)
        for block, layer in zip(model.blocks, self.layers):
            if not layer.neurons:
                continue
            params = {"threshold": layer.v_th_mant / fixed_point.W_SCALE,
                      "current_decay": layer.i_decay / fixed_point.DECAY_UNITY,
                      "voltage_decay": layer.v_decay / fixed_point.DECAY_UNITY, "requires_grad": False}
            block.neuron = slayer.neuron.cuba.Neuron(**params)
            block.neuron.shape = torch.Size(layer.shape)
            block.synapse.pre_hook_fx = block.neuron.quantize_8bit
            w = torch.tensor(layer.weight.astype(np.float32) / fixed_point.W_SCALE)
            with torch.no_grad():
                block.synapse.weight.copy_(w.reshape(block.synapse.weight.shape))
        return model.eval()


def _spec_text(spec: ConvLayer) -> str:
    if spec.kind == "conv":
        return (f"conv{spec.channels}k{spec.kernel}s{spec.stride}p{spec.padding}d{spec.dilation}"
                f"g{spec.groups}")
    if spec.kind == "pool":
        return f"pool{spec.kernel}s{spec.stride}"
    return "flatten" if spec.kind == "flatten" else f"dense{spec.channels}"


def _bad(path: Path, msg: str) -> BeamnetError:
    return BeamnetError(f"{path}: {msg}")


def _square(path: Path, where: str, g: h5py.Group, key: str, default: int | None) -> int:
    """A (height, width) parameter that must be one value for both (square kernels here)."""
    if key not in g:
        if default is None:
            raise _bad(path, f"{where} has no '{key}'")
        return default
    v = _numeric(path, f"{where}/{key}", g[key]).reshape(-1)
    if v.size not in (1, 2) or not np.all(v == np.round(v)) or v.min() < (0 if key == "padding" else 1):
        raise _bad(path, f"{where}/{key} {v.tolist()} must be {'>= 0' if key == 'padding' else '>= 1'} "
                         "whole numbers")
    if v.size == 2 and v[0] != v[1]:
        raise _bad(path, f"{where}/{key} {v.tolist()} differs in height and width; beamnet-lava's "
                         "CSNN takes square kernels, strides, paddings and dilations")
    return int(v[0])


def _shape(path: Path, where: str, g: h5py.Group) -> tuple[int, ...]:
    if "shape" not in g:
        raise _bad(path, f"{where} has no 'shape'")
    v = _numeric(path, f"{where}/shape", g["shape"]).reshape(-1)
    if not v.size or np.any(v < 1) or np.any(v != np.round(v)) or np.any(v > 2**31):
        raise _bad(path, f"{where}/shape {v.tolist()} must be positive whole numbers")
    return tuple(int(s) for s in v)


def read_csnn(path: str | Path) -> CsnnFile:
    """Open ``path`` and return its validated CSNN, or raise a one-line BeamnetError."""
    p = Path(path)
    with open_hdf5(p) as f:
        group, names = layer_groups(f, p)
        attrs = read_attrs(f, p)
        first = group["0"]
        if not isinstance(first, h5py.Group) or read_string(first.get("type")) != "input":
            raise _bad(p, "layer 0 must be the input layer recording the input shape (C, H, W)")
        if "neuron" in first:
            raise _bad(p, "layer 0 is an input layer with neurons; a CSNN file takes spikes directly")
        shape = _shape(p, "layer 0", first)
        if len(shape) != 3:
            raise _bad(p, f"layer 0 shape {list(shape)} must be (channels, height, width)")
        input_shape: tuple[int, int, int] = shape  # type: ignore[assignment]
        specs: list[ConvLayer] = []
        groups = []
        for i in range(1, len(names)):
            g = group[str(i)]
            where = f"layer {i}"
            if not isinstance(g, h5py.Group):
                raise _bad(p, f"{where} is not a group of layer fields")
            kind = read_string(g.get("type"))
            if kind not in KINDS:
                raise _bad(p, f"{where} is a '{kind}' layer; a CSNN file holds {', '.join(KINDS)} "
                              "layers after its input")
            if kind == "conv":
                weight = _numeric(p, f"{where} weight", g["weight"]) if "weight" in g else None
                if weight is None or weight.ndim != 4:
                    raise _bad(p, f"{where} weight must be (out, in/groups, kH, kW)")
                k = _square(p, where, g, "kernelSize", weight.shape[2])
                if weight.shape[2:] != (k, k):
                    raise _bad(p, f"{where} weight {weight.shape} disagrees with kernelSize {k}")
                groups_v = _numeric(p, f"{where}/groups", g["groups"]).reshape(-1) if "groups" in g \
                    else np.array([1.0])
                if groups_v.size != 1 or groups_v[0] < 1 or groups_v[0] != round(groups_v[0]):
                    raise _bad(p, f"{where}/groups {groups_v.tolist()} must be a whole number >= 1")
                spec = ConvLayer("conv", weight.shape[0], k, _square(p, where, g, "stride", 1),
                                 _square(p, where, g, "padding", 0), _square(p, where, g, "dilation", 1),
                                 int(groups_v[0]))
            elif kind == "pool":
                weight = _numeric(p, f"{where} weight", g["weight"]) if "weight" in g else None
                if weight is None:
                    raise _bad(p, f"{where} (pool) has no weight")
                k = _square(p, where, g, "kernelSize", None)
                flat = weight.reshape(-1)
                if weight.size != k * k or not flat.size or np.any(flat != flat[0]) or flat[0] == 0:
                    raise _bad(p, f"{where} (pool) weights {weight.shape} are not a pooling kernel "
                                  f"(one non-zero value repeated over {k}x{k})")
                spec = ConvLayer("pool", 0, k, _square(p, where, g, "stride", k),
                                 _square(p, where, g, "padding", 0), _square(p, where, g, "dilation", 1))
                if spec.padding or spec.dilation != 1:
                    raise _bad(p, f"{where} (pool) has padding/dilation; beamnet-lava pools without them")
            elif kind == "flatten":
                weight = None
                spec = ConvLayer("flatten")
            else:
                weight = _numeric(p, f"{where} weight", g["weight"]) if "weight" in g else None
                if weight is None or weight.ndim != 2:
                    raise _bad(p, f"{where} (dense) weight must be (out, in)")
                spec = ConvLayer("dense", weight.shape[0])
            specs.append(spec)
            groups.append((g, weight))
        if not specs or specs[-1].kind != "dense":
            raise _bad(p, "the last layer must be a dense layer (the class neurons)")
        try:
            shapes = layer_shapes(tuple(specs), input_shape)
        except BeamnetError as exc:
            raise _bad(p, str(exc).replace("config: layers", "layer stack").replace("[", " [")) from None
        layers: list[ConvNetLayer] = []
        prev: tuple[int, ...] = input_shape
        for i, (spec, out_shape, (g, weight)) in enumerate(zip(specs, shapes, groups), start=1):
            where = f"layer {i}"
            if spec.kind != "flatten":
                recorded = _shape(p, where, g)
                if int(np.prod(recorded)) != int(np.prod(out_shape)) or \
                        (len(recorded) == 3 and recorded != out_shape):
                    raise _bad(p, f"{where} shape {list(recorded)} disagrees with the "
                                  f"{'x'.join(map(str, out_shape))} its input {prev} and kernel make")
            if spec.kind == "conv" and weight.shape[1] * spec.groups != prev[0]:
                raise _bad(p, f"{where} weight takes {weight.shape[1] * spec.groups} input channels but "
                              f"the layer below has {prev[0]}")
            if spec.kind == "dense" and weight.shape[1] != prev[0]:
                raise _bad(p, f"{where} weight expects {weight.shape[1]} inputs but the layer below "
                              f"has {prev[0]}")
            layer = ConvNetLayer(i, spec, out_shape)
            if spec.kind != "flatten":
                w = _integers(p, f"{where} weight", weight)
                if w.min() < fixed_point.WEIGHT_MANT_MIN or w.max() > fixed_point.WEIGHT_MANT_MAX + 1:
                    raise _bad(p, f"{where} weight out of the fixed-point range "
                                  f"[{fixed_point.WEIGHT_MANT_MIN}, {fixed_point.WEIGHT_MANT_MAX}] "
                                  f"(found {w.min()}..{w.max()})")
                if "bias" in g or "delay" in g:
                    raise _bad(p, f"{where} has a bias or delays; beamnet-lava's CSNN has neither")
                vth, idec, vdec = _read_neuron(g, p, where)
                if vth == 0:
                    raise _bad(p, f"{where}/neuron vThMant is 0: a zero threshold fires on any input")
                layer.weight, layer.v_th_mant, layer.i_decay, layer.v_decay = w, vth, idec, vdec
            layers.append(layer)
            prev = out_shape
        if attrs.get("n_classes", layers[-1].size) != layers[-1].size:
            raise _bad(p, f"root attribute n_classes={attrs['n_classes']} disagrees with the "
                          f"{layers[-1].size} output neurons")
    return CsnnFile(p, input_shape, layers, attrs)


def export_csnn(run, out: Path, force: bool = False) -> CsnnFile:
    """Through the one NetX writer: the ``input`` layer a neuron-less ``slayer.block.cuba.Input``
    writes (the input shape), then every block's own ``export_hdf5`` (a clone's: slayer strips
    weight normalisation from the block it exports), plus the root attributes of the run."""
    from beamnet_lava.netx_export.export import root_attrs_of
    from beamnet_lava.netx_export.netx_writer import NetxWriter

    w = NetxWriter()
    w.slayer_block(input_block(run.model.input_shape))
    w.slayer_blocks(run.model.clone().blocks)
    events = run.config.dataset in EVENT_DATASETS
    w.attrs(root_attrs_of(run, "events" if events else run.config.encoding, run.model.sizes[-1]))
    w.stamp(run.run_dir)
    return w.publish(out, read_csnn, force=force, run_dir=run.run_dir)


# this module's hooks, attached by the registry (families.registry.load) through netx_export/__init__.py's providers()
PROVIDES = [
    provide("read", read_csnn, "csnn"),
    provide("export", export_csnn, "csnn"),
]
