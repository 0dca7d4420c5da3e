"""Typed training configurations with the theory and hardware checks done at load time.

One dataclass per model (``SNNConfig``, ``BeamnetConfig``) sharing the training
fields of :class:`TrainConfig`. Values that end up on hardware are checked
against Loihi's fixed-point ranges (:mod:`beamnet_lava.neurons.fixed_point`), and
BEAM-Net's theory conditions are checked with the result they come from, so a
bad choice fails here with a message rather than deep inside training or Lava.
"""
from __future__ import annotations

import dataclasses
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from beamnet_lava.names import DATASETS, SEQUENCE_DATASETS, SEQUENCE_LENGTHS, SHD_STEPS, UNCERTAINTY_MODES
from beamnet_lava.neurons import brf, fixed_point
from beamnet_lava.checks import SEED_MAX
from beamnet_lava.errors import BeamnetError


def _fail(name: str, value: Any, why: str) -> None:
    raise BeamnetError(f"config: {name}={value!r} {why}")


def _typed(name: str, value: Any, kind: str) -> Any:
    """``value`` as the scalar type ``kind`` ('int', 'float', 'str', 'bool') or a clear error.

    Strict on purpose: an int field takes 3 or 3.0 but refuses 2.5 (no silent
    truncation), numbers are finite (NaN and inf are refused), and a quoted
    number in YAML is a string, not a number.
    """
    if kind == "bool":
        if not isinstance(value, bool):
            _fail(name, value, "must be true or false")
        return value
    if kind == "str":
        if not isinstance(value, str):
            _fail(name, value, "must be a string")
        return value
    if isinstance(value, str):
        _fail(name, value, f"must be a{'n integer' if kind == 'int' else ' number'}, found a string "
              "(write the number without quotes)")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(name, value, f"must be a{'n integer' if kind == 'int' else ' number'}")
    if not math.isfinite(value):
        _fail(name, value, "must be a finite number")
    if kind == "int":
        if value != int(value):
            _fail(name, value, "must be a whole number")
        return int(value)
    return float(value)


def _check_types(cfg: "TrainConfig") -> None:
    """Every field holds the type its annotation names (ints really ints, numbers finite,
    strings where strings belong); ints given as 3.0 are stored as 3."""
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        kind = str(f.type)
        if kind.endswith("| None"):
            if value is None:
                continue
            kind = kind[:-len("| None")].strip()
        if kind.startswith("tuple["):
            item = kind[len("tuple["):].split(",")[0].strip(" ]")
            if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
                _fail(f.name, value, f"must be a list of {item} values")
            value = tuple(_typed(f.name, v, item) for v in value)
        else:
            value = _typed(f.name, value, kind)
        object.__setattr__(cfg, f.name, value)


@dataclass(frozen=True)
class TrainConfig:
    """Fields every model shares."""

    model: str = ""
    dataset: str = "digits"
    data_dir: str | None = None      # folder of IDX files for dataset=mnist
    seed: int = 0                    # fixes split, init, shuffling and neuron noise
    epochs: int = 20
    batch_size: int = 32
    lr: float = 1e-2
    time_steps: int = 16             # T: steps per sample window
    split: tuple[float, float, float] = (0.6, 0.2, 0.2)   # train/val/test
    # Event datasets (Eq. 6; beamnet_lava/data/events.py EventEncoding)
    event_downsample: int = 1        # pixels pooled per side
    event_polarity: str = "split"    # split (ON/OFF inputs) | merge | on_only (ON events)
    event_window_ms: float = 0.0     # time binned from each sample's first event (0: dataset default)

    TUPLES: ClassVar[dict[str, type]] = {"split": float}
    DATASETS: ClassVar[tuple[str, ...]] = DATASETS   # the datasets this model trains on
    MODELS: ClassVar[tuple[str, ...]] = ()            # the model family names this class configures

    def __post_init__(self) -> None:
        _check_types(self)
        self.validate()

    def validate(self) -> None:
        self.validate_model()
        if not 0 <= self.seed <= SEED_MAX:
            _fail("seed", self.seed, f"must be in 0..{SEED_MAX}")
        if self.dataset not in self.DATASETS:
            _fail("dataset", self.dataset, f"is not a known dataset for model {self.model}; "
                  f"choose one of {', '.join(self.DATASETS)}")
        for name in ("epochs", "batch_size", "time_steps"):
            if int(getattr(self, name)) < 1:
                _fail(name, getattr(self, name), "must be >= 1")
        if not self.lr > 0:
            _fail("lr", self.lr, "must be > 0")
        if len(self.split) != 3 or any(f <= 0 for f in self.split) or abs(sum(self.split) - 1) > 1e-6:
            _fail("split", self.split, "must be three positive fractions (train, val, test) summing to 1")
        if int(self.event_downsample) < 1:
            _fail("event_downsample", self.event_downsample, "must be >= 1")
        if self.event_polarity not in ("split", "merge", "on_only"):
            _fail("event_polarity", self.event_polarity, "must be split, merge or on_only")
        if not self.event_window_ms >= 0:
            _fail("event_window_ms", self.event_window_ms, "must be >= 0 (0: the dataset's default)")

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    def replace(self, **overrides: Any) -> "TrainConfig":
        return from_dict({**self.to_dict(), **{k: v for k, v in overrides.items() if v is not None}})

    def validate_model(self) -> None:
        if self.model not in self.MODELS:
            _fail("model", self.model, f"is not configured by {type(self).__name__} "
                  f"(it configures {', '.join(self.MODELS)})")


@dataclass(frozen=True)
class SNNConfig(TrainConfig):
    """A feed-forward SLAYER CUBA network trained on rate-coded images.

    The neuron parameters are slayer's ``cuba.Neuron`` ones: ``threshold`` in
    weight units (its hardware value is ``threshold * 64``), decays as fractions
    per step (hardware: ``decay * 4096``, 12 bits).
    """

    model: str = "snn"
    MODELS: ClassVar[tuple[str, ...]] = ("snn",)
    hidden: tuple[int, ...] = (128,)
    threshold: float = 1.25
    current_decay: float = 0.25
    voltage_decay: float = 0.03
    tau_grad: float = 0.03           # surrogate gradient width (slayer)
    scale_grad: float = 3.0
    true_rate: float = 0.5           # target spike rate of the true class
    false_rate: float = 0.03

    TUPLES: ClassVar[dict[str, type]] = {"split": float, "hidden": int}

    @property
    def neuron_params(self) -> dict[str, float]:
        return {"threshold": self.threshold, "current_decay": self.current_decay,
                "voltage_decay": self.voltage_decay, "tau_grad": self.tau_grad,
                "scale_grad": self.scale_grad, "requires_grad": False}

    def validate(self) -> None:
        super().validate()
        if not self.hidden or any(int(h) < 1 for h in self.hidden):
            _fail("hidden", self.hidden, "must list one or more positive layer sizes")
        for name in ("current_decay", "voltage_decay"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                _fail(name, getattr(self, name), "must be a fraction in [0, 1] (hardware: 12-bit decay)")
        vth = fixed_point.threshold_mant(self.threshold)
        if not 0 < vth <= fixed_point.VTH_MAX:
            _fail("threshold", self.threshold,
                  f"gives vThMant={vth}; Loihi needs 1..{fixed_point.VTH_MAX} "
                  f"(threshold in (0, {fixed_point.VTH_MAX / fixed_point.W_SCALE:.0f}])")
        for name in ("tau_grad", "scale_grad"):
            if not getattr(self, name) > 0:
                _fail(name, getattr(self, name), "must be > 0 (slayer surrogate gradient)")
        if not (0 < self.false_rate < self.true_rate <= 1):
            _fail("true_rate/false_rate", (self.true_rate, self.false_rate),
                  "need 0 < false_rate < true_rate <= 1")


CSNN_LAYER = re.compile(r"^(?:conv(?P<conv>\d+)k(?P<k>\d+)(?:s(?P<s>\d+))?(?:p(?P<p>\d+))?"
                        r"(?:d(?P<d>\d+))?(?:g(?P<g>\d+))?|pool(?P<pool>\d+)(?:s(?P<ps>\d+))?"
                        r"|(?P<flatten>flatten)|dense(?P<dense>\d+))$")


@dataclass(frozen=True)
class ConvLayer:
    """One entry of a CSNN layer stack (``CSNNConfig.layers``), parsed."""

    kind: str                 # conv | pool | flatten | dense
    channels: int = 0         # conv: output channels; dense: neurons
    kernel: int = 1
    stride: int = 1
    padding: int = 0
    dilation: int = 1
    groups: int = 1


def parse_layer(text: str) -> ConvLayer:
    """``conv16k5s2p1`` (16 channels, 5x5 kernel, stride 2, padding 1; optional ``d`` dilation,
    ``g`` groups), ``pool2`` (2x2 sum pooling, stride 2; ``pool2s1`` stride 1), ``flatten``,
    ``dense256``; a one-line error naming the entry otherwise."""
    m = CSNN_LAYER.match(str(text).strip().lower())
    if m is None:
        raise BeamnetError(f"config: layers entry {text!r} is not a layer; write conv<C>k<K>"
                           "[s<S>][p<P>][d<D>][g<G>] (e.g. conv16k5s2p1), pool<K>[s<S>] (e.g. "
                           "pool2), flatten or dense<N> (e.g. dense256)")
    g = m.groupdict()
    if g["conv"] is not None:
        layer = ConvLayer("conv", int(g["conv"]), int(g["k"]), int(g["s"] or 1), int(g["p"] or 0),
                          int(g["d"] or 1), int(g["g"] or 1))
    elif g["pool"] is not None:
        k = int(g["pool"])
        layer = ConvLayer("pool", 0, k, int(g["ps"] or k))
    elif g["flatten"]:
        layer = ConvLayer("flatten")
    else:
        layer = ConvLayer("dense", int(g["dense"]))
    for name in ("channels", "kernel", "stride", "dilation", "groups"):
        if getattr(layer, name) < 1 and not (name == "channels" and layer.kind in ("pool", "flatten")):
            raise BeamnetError(f"config: layers entry {text!r}: {name} must be >= 1 (a {name} of "
                               f"{getattr(layer, name)} has no meaning)")
    return layer


@dataclass(frozen=True)
class CSNNConfig(TrainConfig):
    """A convolutional SLAYER CUBA network (``--model csnn``, models/csnn.py).

    ``layers``: the stack below the output layer, each entry ``conv<C>k<K>[s<S>][p<P>]``,
    ``pool<K>[s<S>]`` (sum pooling, a fixed kernel of ``pool_weight``), ``flatten`` or
    ``dense<N>``; a ``flatten`` is inserted before the first dense layer when not given, and
    the output layer (one neuron per class) is added. ``input_shape`` (channels, height,
    width) defaults to the data's: square grey images (1 x s x s) or event frames
    (2 x H x W with split polarity). Neuron parameters as ``SNNConfig`` (slayer's CUBA).
    """

    model: str = "csnn"
    MODELS: ClassVar[tuple[str, ...]] = ("csnn",)
    layers: tuple[str, ...] = ("conv12k5s2p2", "conv24k3p1", "pool2", "dense128")
    input_shape: tuple[int, ...] = ()
    encoding: str = "rate"           # images: rate (deterministic) | latency (one spike per pixel)
    epochs: int = 15
    batch_size: int = 32
    lr: float = 3e-3
    lr_schedule: str = "cosine"      # cosine (to 0 over the epochs) | constant
    warmup_epochs: float = 0.0       # linear lr warm-up over these first epochs (0: none)
    weight_decay: float = 0.0
    augment_shift: int = 0           # training images moved by up to this many pixels (0: off)
    time_steps: int = 16
    threshold: float = 1.25
    current_decay: float = 0.25
    voltage_decay: float = 0.03
    tau_grad: float = 0.03
    scale_grad: float = 3.0
    pool_weight: float = 1.5         # the sum-pooling kernel's weight (weight units, 8-bit on chip)
    weight_scale: float = 1.0        # slayer's initial weight scale of conv and dense blocks
    true_rate: float = 0.5
    false_rate: float = 0.03

    TUPLES: ClassVar[dict[str, type]] = {"split": float, "layers": str, "input_shape": int}

    @property
    def neuron_params(self) -> dict[str, float]:
        return {"threshold": self.threshold, "current_decay": self.current_decay,
                "voltage_decay": self.voltage_decay, "tau_grad": self.tau_grad,
                "scale_grad": self.scale_grad, "requires_grad": False}

    @property
    def stack(self) -> tuple[ConvLayer, ...]:
        """The parsed layer stack, with ``flatten`` before the first dense layer."""
        parsed = [parse_layer(t) for t in self.layers]
        out: list[ConvLayer] = []
        flat = False
        for layer in parsed:
            if layer.kind == "dense" and not flat:
                out.append(ConvLayer("flatten"))
                flat = True
            if layer.kind == "flatten":
                if flat:
                    continue
                flat = True
            out.append(layer)
        return tuple(out)

    def full_stack(self, n_out: int) -> tuple[ConvLayer, ...]:
        """:attr:`stack` with the output layer (``n_out`` class neurons, after a flatten)."""
        stack = self.stack
        flat = () if any(l.kind == "flatten" for l in stack) else (ConvLayer("flatten"),)
        return stack + flat + (ConvLayer("dense", int(n_out)),)

    def validate(self) -> None:
        super().validate()
        if not self.layers:
            _fail("layers", self.layers, "must list one or more layers (e.g. [conv16k5s2p1, pool2])")
        stack = self.stack
        seen_flat = False
        for layer in stack:
            if layer.kind == "flatten":
                seen_flat = True
            elif seen_flat and layer.kind in ("conv", "pool"):
                _fail("layers", list(self.layers), f"has a {layer.kind} layer after flatten/dense; "
                      "convolutions and pooling come first")
        if self.input_shape and (len(self.input_shape) != 3 or min(self.input_shape) < 1):
            _fail("input_shape", self.input_shape, "must be [channels, height, width], all >= 1 "
                  "(or empty: the data's)")
        if self.encoding not in ("rate", "latency"):
            _fail("encoding", self.encoding, "must be rate or latency")
        if self.lr_schedule not in ("cosine", "constant"):
            _fail("lr_schedule", self.lr_schedule, "must be cosine or constant")
        if not 0 <= self.warmup_epochs < self.epochs:
            _fail("warmup_epochs", self.warmup_epochs, f"must be >= 0 and below epochs ({self.epochs})")
        if self.weight_decay < 0:
            _fail("weight_decay", self.weight_decay, "must be >= 0")
        if not 0 <= self.augment_shift <= 4:
            _fail("augment_shift", self.augment_shift, "must be 0 (off) to 4 pixels")
        for name in ("current_decay", "voltage_decay"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                _fail(name, getattr(self, name), "must be a fraction in [0, 1] (hardware: 12-bit decay)")
        vth = fixed_point.threshold_mant(self.threshold)
        if not 0 < vth <= fixed_point.VTH_MAX:
            _fail("threshold", self.threshold, f"gives vThMant={vth}; Loihi needs 1..{fixed_point.VTH_MAX}")
        if not 0 < round(self.pool_weight * fixed_point.W_SCALE) <= fixed_point.WEIGHT_MANT_MAX:
            _fail("pool_weight", self.pool_weight, f"must round to an 8-bit weight mantissa in "
                  f"1..{fixed_point.WEIGHT_MANT_MAX} (x 1/{fixed_point.W_SCALE})")
        for name in ("tau_grad", "scale_grad"):
            if not getattr(self, name) > 0:
                _fail(name, getattr(self, name), "must be > 0 (slayer surrogate gradient)")
        if not 0 < self.weight_scale <= 100:
            _fail("weight_scale", self.weight_scale, "must be in (0, 100] (slayer's initial weight scale)")
        if not (0 < self.false_rate < self.true_rate <= 1):
            _fail("true_rate/false_rate", (self.true_rate, self.false_rate),
                  "need 0 < false_rate < true_rate <= 1")
        if self.input_shape:
            layer_shapes(self.full_stack(2), tuple(self.input_shape))     # the shapes must chain


def layer_shapes(stack: tuple[ConvLayer, ...], input_shape: tuple[int, int, int]) -> list[tuple[int, ...]]:
    """Output shape (C, H, W) or (N,) of every layer of ``stack`` on ``input_shape``; a stack
    whose shapes do not chain (a kernel larger than its padded input, channels that groups do
    not divide, a pooling window that does not tile its input) is one config error."""
    shape: tuple[int, ...] = tuple(int(s) for s in input_shape)
    out = []
    for i, layer in enumerate(stack):
        where = f"config: layers[{i}] ({layer.kind})"
        if layer.kind in ("conv", "pool"):
            c, h, w = shape
            reach = layer.dilation * (layer.kernel - 1) + 1
            if reach > min(h, w) + 2 * layer.padding:
                raise BeamnetError(f"{where}: kernel {layer.kernel} (dilation {layer.dilation}) is "
                                   f"larger than its input {h}x{w} with padding {layer.padding}")
            if layer.kind == "conv":
                if c % layer.groups or layer.channels % layer.groups:
                    raise BeamnetError(f"{where}: groups={layer.groups} must divide its input "
                                       f"channels {c} and output channels {layer.channels}")
                ho, wo = ((n + 2 * layer.padding - reach) // layer.stride + 1 for n in (h, w))
                shape = (layer.channels, ho, wo)
            else:
                if h % layer.kernel or w % layer.kernel or layer.stride != layer.kernel:
                    raise BeamnetError(f"{where}: pool{layer.kernel} needs an input whose height and "
                                       f"width it tiles (stride = kernel; got {h}x{w}, stride "
                                       f"{layer.stride}): slayer pads other inputs, Lava does not")
                shape = (c, h // layer.kernel, w // layer.kernel)
        elif layer.kind == "flatten":
            shape = (int(np.prod(shape)),)
        else:
            if len(shape) != 1:
                raise BeamnetError(f"{where}: a dense layer needs a flatten before it")
            shape = (layer.channels,)
        out.append(shape)
    return out


@dataclass(frozen=True)
class BeamnetConfig(TrainConfig):
    """BEAM-Net (../shared/BEAMNET_SPEC.md). Times are in steps of ``dt`` ms."""

    model: str = "beamnet"
    MODELS: ClassVar[tuple[str, ...]] = ("beamnet",)
    epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3
    dt: float = 1.0                  # ms per step
    time_steps: int = 32             # T: steps per window
    # Encoding (Eq. 6, Eq. 7)
    event_polarity: str = "on_only"  # event data: first ON event per pixel (Eq. 6) as the latency
    encoding: str = "latency"        # latency (Eq. 7) | population (W-TCRL)
    t_ref: int = 12                  # T_ref (Eq. 7)
    tau_spread: float = 12.0         # tau in t_i = T_ref - tau * x_i (Eq. 7)
    input_floor: float = 0.05        # inputs below it emit no spike
    pop_size: int = 5                # l: neurons per dimension (population code)
    pop_sigma: float = 0.15          # sigma of the receptive fields
    # Coincidence detection (Eq. 21, Eq. 22)
    n_memory: int = 100              # N memory neurons (stored patterns); docs/beamnet.md: N vs activity
    patterns: str = "kmeans"         # kmeans (per class) | prototype (class means, N = K)
    tau_s: float = 10.0              # synaptic current time constant: kernel kappa (Eq. 21)
    dt_max: int = 62                 # longest synaptic delay in steps (Loihi limit 62)
    init_gain: float = 1.3           # median peak drive at initialisation, in theta_0
    weight_init: str = "zero_mean"   # zero_mean (c - mean c) | proportional (c / sum c - 1/d on dark)
    # Bayesian LIF neurons (Eq. 8, Eq. 9, Eq. 10)
    tau_m: float = 10.0              # membrane time constant
    theta_0: float = 1.0             # base threshold (unit of every other potential)
    delta: float = 0.02              # Delta: logistic threshold noise scale (Eq. 9)
    gamma: float = 0.5               # adaptive threshold gain (Eq. 10)
    tau_theta: float = 10.0          # spike-trace time constant of the threshold (Eq. 10)
    # Lateral inhibition (Proposition 3.3)
    w_inh: float = 3.0               # in units of theta_0; must exceed 2
    tau_syn: float = 2.0             # inhibitory trace time constant
    # Dirichlet readout (Eq. 12 - Eq. 15)
    alpha_0: float = 1.0             # prior concentration (Eq. 12)
    eta: float = 1.0                 # evidence scale during training (Eq. 12)
    fit_eta: bool = True             # refit eta on the validation split after training
    fit_temperature: bool = True     # with fit_eta: also fit a readout temperature A = softplus(R / T)
    burn_in: int = 0                 # steps of each window not counted
    uncertainty: str = "window"      # window: Eq. 12-15 of the inference window | probe: plus one
                                     # probe window without lateral inhibition whose first spikes,
                                     # weighted by latency, are posterior samples (docs/beamnet.md)
    probe_tau: float = 0.35          # probe: weight exp(-(t_j - t_1) / probe_tau) of neuron j's first spike
    probe_delta: float = 0.0         # probe: its logistic noise scale (theta_0 units); 0: the noiseless
                                     # race order (docs/beamnet.md; `delta` reproduces the probe before)
    # Bidirectional inference (Eq. 16, Eq. 17, Theorem 3.6)
    bidirectional: bool = False      # top-down loop at evaluation (off: one window)
    lambda_td: float = 0.1           # lambda: top-down threshold reduction (Eq. 16)
    max_windows: int = 3             # L: at most ceil(3 tau_m / tau_s) (Theorem 3.6)
    epsilon: float = 0.05            # stop when ||p_k - p_{k-1}||_1 < epsilon (Eq. 17)
    # Training objective
    train_weights: bool = True       # train w_ij (off: the stored patterns alone set them)
    kl_weight: float = 0.1           # KL(Dir(alpha~) || Dir(1)) on non-target evidence
    kl_anneal_epochs: int = 10
    weight_objective: str = "race"   # race: w_ij learn the first-to-fire race (cross-entropy of the
                                     # potentials when the first memory spike falls); evidential: w_ij
                                     # learn the evidential loss through the spike counts (surrogate)
    race_temperature: float = 0.1    # softmax temperature of the race loss, in theta_0
    race_objective: str = "cross_entropy"  # the race's loss: cross_entropy | evidential (Sensoy et al.
                                     # 2018 on evidence exp(class score); docs/beamnet.md, issue 29)
    race_label_smoothing: float = 0.0  # label smoothing of the race loss (0: none; docs/beamnet.md)
    weight_average_epochs: int = 0   # stochastic weight averaging: keep the mean of the weights of the
                                     # last k epochs (0: off; docs/beamnet.md, issue 29)
    race_rank_weight: float = 0.0    # weight of the correctness-ranking loss on the race's confidence
                                     # (CRL, Moon et al. 2020; 0: off; docs/beamnet.md, issue 29)
    augment_shift: int = 0           # training images moved by up to this many pixels (0: off)
    input_dropout: float = 0.0       # share of input spikes silenced in each training sample
    rate_weight: float = 0.0         # firing-rate regulariser toward rate_target
    rate_target: float = 0.03        # target fraction of memory neurons active (1-5%)
    surrogate_width: float = 1.0     # surrogate gradient width, in theta_0
    # Hardware scale
    theta_mant: int = 4096           # theta_0 as a Loihi vThMant; weights are 8-bit mantissas on it:
                                     # raise it for many inputs (MNIST: 16384) or weights round to 0

    def validate(self) -> None:
        super().validate()
        if self.encoding not in ("latency", "population"):
            _fail("encoding", self.encoding, "must be latency or population")
        if self.weight_init not in ("zero_mean", "proportional"):
            _fail("weight_init", self.weight_init, "must be zero_mean or proportional")
        if self.weight_objective not in ("race", "evidential"):
            _fail("weight_objective", self.weight_objective, "must be race or evidential")
        if self.race_objective not in ("cross_entropy", "evidential"):
            _fail("race_objective", self.race_objective, "must be cross_entropy or evidential")
        if self.patterns not in ("kmeans", "prototype"):
            _fail("patterns", self.patterns, "must be kmeans or prototype")
        positive = ("dt", "tau_spread", "tau_s", "tau_m", "theta_0", "tau_theta", "tau_syn",
                    "pop_sigma", "init_gain", "surrogate_width", "race_temperature")
        for name in positive:
            if not getattr(self, name) > 0:
                _fail(name, getattr(self, name), "must be > 0")
        if not self.delta > 0:
            _fail("delta", self.delta, "must be > 0: Eq. 9 needs a positive noise scale Delta "
                  "(Delta -> 0 is the deterministic LIF limit)")
        if not self.w_inh > 2:
            _fail("w_inh", self.w_inh, "must be > 2: Proposition 3.3 (firing rates converge to the "
                  "posterior only for lateral inhibition w_inh > 2)")
        if not self.alpha_0 > 0:
            _fail("alpha_0", self.alpha_0, "must be > 0: Eq. 12 needs a proper Dirichlet prior")
        if not self.eta > 0:
            _fail("eta", self.eta, "must be > 0 (Eq. 12)")
        if not math.isfinite(3 * self.tau_m / self.tau_s):
            _fail("tau_m", self.tau_m, f"is too large for tau_s={self.tau_s} (3 tau_m / tau_s, "
                  "Theorem 3.6's window bound, overflows)")
        bound = self.window_bound
        if not 1 <= self.max_windows <= bound:
            _fail("max_windows", self.max_windows,
                  f"must be in 1..ceil(3 tau_m / tau_s) = {bound} (Theorem 3.6, tau_m={self.tau_m}, "
                  f"tau_s={self.tau_s}); raise tau_m or lower max_windows")
        if self.bidirectional and self.max_windows < 2:
            _fail("bidirectional", True, "needs max_windows >= 2 to iterate (Eq. 17)")
        if not 0 < self.epsilon < 2:
            _fail("epsilon", self.epsilon, "must be in (0, 2) (an L1 distance of posteriors, Eq. 17)")
        if not 1 <= self.dt_max <= fixed_point.MAX_DELAY:
            _fail("dt_max", self.dt_max, f"must be in 1..{fixed_point.MAX_DELAY} (Loihi synaptic delay limit)")
        if math.ceil(self.tau_spread) > self.dt_max:
            _fail("tau_spread", self.tau_spread, f"gives delays up to {math.ceil(self.tau_spread)} steps, "
                  f"beyond dt_max={self.dt_max}")
        if self.t_ref + math.ceil(self.tau_spread) >= self.time_steps:
            _fail("time_steps", self.time_steps, f"must exceed t_ref + tau_spread = "
                  f"{self.t_ref + math.ceil(self.tau_spread)} so coincidences fall inside the window")
        if self.t_ref < math.ceil(self.tau_spread):
            _fail("t_ref", self.t_ref, "must be >= tau_spread so spike times t_ref - tau*x are >= 0")
        if not 0 <= self.input_floor < 1:
            _fail("input_floor", self.input_floor, "must be a fraction in [0, 1) (inputs below it emit no spike)")
        for name in ("gamma", "lambda_td", "kl_weight", "rate_weight", "kl_anneal_epochs"):
            if not getattr(self, name) >= 0:
                _fail(name, getattr(self, name), "must be >= 0")
        if not 0 <= self.input_dropout < 1:
            _fail("input_dropout", self.input_dropout, "must be a fraction in [0, 1)")
        if not 0 <= self.augment_shift <= 4:
            _fail("augment_shift", self.augment_shift, "must be 0 (off) to 4 pixels")
        if self.n_memory < 1 or self.pop_size < 1:
            _fail("n_memory/pop_size", (self.n_memory, self.pop_size), "must be >= 1")
        if not 0 <= self.burn_in < self.time_steps:
            _fail("burn_in", self.burn_in, "must be in 0..time_steps-1")
        if self.uncertainty not in UNCERTAINTY_MODES:
            _fail("uncertainty", self.uncertainty, "must be window (Eq. 12-15 of the inference "
                  "window) or probe (plus a probe window read as posterior samples)")
        if not self.probe_tau > 0:
            _fail("probe_tau", self.probe_tau, "must be > 0 steps (the latency weight's time constant)")
        if not 0 <= self.race_label_smoothing < 1:
            _fail("race_label_smoothing", self.race_label_smoothing, "must be a fraction in [0, 1)")
        if self.race_label_smoothing and self.race_objective != "cross_entropy":
            _fail("race_label_smoothing", self.race_label_smoothing,
                  "applies to race_objective=cross_entropy only; set it to 0")
        if not 0 <= self.weight_average_epochs <= self.epochs:
            _fail("weight_average_epochs", self.weight_average_epochs,
                  f"must be in 0..epochs={self.epochs} (0: off)")
        if not self.race_rank_weight >= 0:
            _fail("race_rank_weight", self.race_rank_weight, "must be >= 0 (0: off)")
        if not self.probe_delta >= 0:
            _fail("probe_delta", self.probe_delta, "must be >= 0 (the probe window's noise scale; 0: none)")
        if not 0 < self.rate_target < 1:
            _fail("rate_target", self.rate_target, "must be a fraction in (0, 1) (spec: 0.01-0.05)")
        if not 0 < self.theta_mant <= fixed_point.VTH_MAX:
            _fail("theta_mant", self.theta_mant, f"must be in 1..{fixed_point.VTH_MAX} (vThMant)")
        product = self.theta_0 * self.theta_mant        # short-circuit: round(1e308 * 4096) overflows
        if not (product < fixed_point.VTH_MAX + 1 and 1 <= round(product) <= fixed_point.VTH_MAX):
            _fail("theta_0", self.theta_0, f"times theta_mant={self.theta_mant} must round to a "
                  f"threshold mantissa in 1..{fixed_point.VTH_MAX}")
        for name in ("w_inh", "gamma", "delta"):
            if getattr(self, name) * self.theta_0 * self.theta_mant * fixed_point.W_SCALE >= 2 ** 23:
                _fail(name, getattr(self, name), "times theta overflows Loihi's 24-bit state; "
                      "lower it or theta_mant")

    @property
    def window_bound(self) -> int:
        """L = ceil(3 tau_m / tau_s), the window bound of Theorem 3.6."""
        return math.ceil(3 * self.tau_m / self.tau_s - 1e-9)


@dataclass(frozen=True)
class ANNConfig(TrainConfig):
    """The ANN-MLP baseline (plain torch, fp32), trained with cross-entropy.

    ``hidden`` empty (the default) sizes one hidden layer so that the MLP has as
    many parameters as ``param_budget``, or, when that is 0, as the default
    BEAM-Net for the same data (weights + delays + readout; see models/ann.py).
    """

    model: str = "ann"
    MODELS: ClassVar[tuple[str, ...]] = ("ann",)
    hidden: tuple[int, ...] = ()
    param_budget: int = 0
    epochs: int = 30
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.0

    TUPLES: ClassVar[dict[str, type]] = {"split": float, "hidden": int}

    def validate(self) -> None:
        super().validate()
        if any(int(h) < 1 for h in self.hidden):
            _fail("hidden", self.hidden, "must list positive layer sizes (or be empty: auto-size)")
        if self.param_budget < 0:
            _fail("param_budget", self.param_budget, "must be >= 0 (0: match the default BEAM-Net)")
        if self.weight_decay < 0:
            _fail("weight_decay", self.weight_decay, "must be >= 0")


@dataclass(frozen=True)
class SeqConfig(TrainConfig):
    """Recurrent SNN on pixel sequences: BRF, RF (models/brf.py) or slayer's ALIF hidden layer.

    ``brf-rsnn`` / ``rf-rsnn`` / ``alif-rsnn``: input -> one recurrent hidden
    layer -> leaky-integrator readout (Higuchi et al. 2024, Sec. 4). Neuron
    initialisation ranges default to the paper's S-MNIST ones
    (:data:`beamnet_lava.neurons.brf.INIT`). ``time_steps`` 0 means the dataset's
    sequence length (64 for digits-seq, 784 for mnist-seq).
    """

    model: str = "brf-rsnn"
    dataset: str = "digits-seq"
    time_steps: int = 0
    epochs: int = 20
    batch_size: int = 16
    lr: float = 5e-2
    hidden: tuple[int, ...] = (64,)
    omega_init: tuple[float, float] = (15.0, 50.0)    # omega ~ U(a, b) (paper: S-MNIST)
    b_offset_init: tuple[float, float] = (0.1, 1.0)   # b' ~ U(a, b) (paper: S-MNIST)
    input_gain: float = 100.0         # std of input weights x sqrt(fan-in) (I_t scale; delta=0.01)
    recurrent_gain: float = 10.0      # std of recurrent weights x sqrt(fan-in)
    readout_gain: float = 10.0        # std of readout weights x sqrt(fan-in)
    readout_tau: float = 20.0         # leaky-integrator readout time constant, steps
    # slayer ALIF (alif-rsnn): cuba current/voltage + adaptive threshold
    alif_threshold: float = 1.0
    alif_threshold_step: float = 0.5
    alif_current_decay: float = 0.5
    alif_voltage_decay: float = 0.05
    alif_threshold_decay: float = 0.05
    alif_refractory_decay: float = 0.5
    alif_input_gain: float = 2.0      # std of ALIF input weights x sqrt(fan-in) (slayer clips at +-4)
    alif_recurrent_gain: float = 3.0  # std of ALIF recurrent weights x sqrt(fan-in)

    TUPLES: ClassVar[dict[str, type]] = {"split": float, "hidden": int, "omega_init": float,
                                         "b_offset_init": float}
    DATASETS: ClassVar[tuple[str, ...]] = SEQUENCE_DATASETS
    KINDS: ClassVar[dict[str, str]] = {"brf-rsnn": "brf", "rf-rsnn": "rf", "alif-rsnn": "alif"}
    MODELS: ClassVar[tuple[str, ...]] = tuple(KINDS)

    @property
    def kind(self) -> str:
        return self.KINDS[self.model]

    @property
    def sequence_length(self) -> int:
        """Steps per sequence: fixed by pixel data; SHD's bins are chosen (default 100)."""
        if self.dataset not in SEQUENCE_LENGTHS:
            return int(self.time_steps) or SHD_STEPS
        return SEQUENCE_LENGTHS[self.dataset]

    def __post_init__(self) -> None:
        _check_types(self)
        if self.dataset in self.DATASETS and self.time_steps == 0:
            object.__setattr__(self, "time_steps", self.sequence_length)   # 0: the data's length
        super().__post_init__()

    def replace(self, **overrides: Any) -> "TrainConfig":
        if overrides.get("dataset") not in (None, self.dataset) and overrides.get("time_steps") is None:
            overrides["time_steps"] = 0          # a new dataset brings its own sequence length
        return super().replace(**overrides)

    def validate(self) -> None:
        super().validate()
        if self.time_steps != self.sequence_length:
            _fail("time_steps", self.time_steps, f"must be 0 or {self.sequence_length}: the "
                  f"{self.dataset} sequence length is fixed by the data")
        if len(self.hidden) != 1 or int(self.hidden[0]) < 1:
            _fail("hidden", self.hidden, "must be one positive size (one recurrent hidden layer)")
        for name in ("omega_init", "b_offset_init"):
            lo_hi = getattr(self, name)
            if len(lo_hi) != 2 or lo_hi[0] > lo_hi[1]:
                _fail(name, lo_hi, "must be a range [low, high] with low <= high")
        brf.check_params(self.omega_init, self.b_offset_init, where="config omega_init/b_offset_init")
        for name in ("input_gain", "recurrent_gain", "readout_gain", "readout_tau", "alif_threshold",
                     "alif_input_gain", "alif_recurrent_gain"):
            if not getattr(self, name) > 0:
                _fail(name, getattr(self, name), "must be > 0")
        for name in ("alif_current_decay", "alif_voltage_decay", "alif_threshold_decay",
                     "alif_refractory_decay"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                _fail(name, getattr(self, name), "must be a fraction in [0, 1] (12-bit decay)")
        for name, low in (("alif_threshold", 1), ("alif_threshold_step", 0)):
            mant = fixed_point.threshold_mant(getattr(self, name))
            if not low <= mant <= fixed_point.VTH_MAX:
                _fail(name, getattr(self, name), f"gives a mantissa of {mant} (x64); Loihi needs "
                      f"{low}..{fixed_point.VTH_MAX}")


DEFAULT_MODEL = "snn"   # --model when neither the flag nor the config file names one


def config_class(model: str) -> type[TrainConfig]:
    """The config class of model family ``model`` (each class lists its names in ``MODELS``)."""
    classes = {name: cls for cls in _subclasses(TrainConfig) for name in cls.MODELS}
    if model not in classes:
        raise BeamnetError(f"config: model={model!r} is not a known model; choose one of "
                           f"{', '.join(classes)}")
    return classes[model]


def _subclasses(cls: type) -> list[type]:
    return [c for sub in cls.__subclasses__() for c in [sub, *_subclasses(sub)]]


def default_for(model: str) -> TrainConfig:
    return config_class(model)(model=model)


def from_dict(d: dict[str, Any]) -> TrainConfig:
    """A config from a mapping that names its ``model`` (a checkpoint's, an export's)."""
    if not isinstance(d, dict):
        raise BeamnetError(f"config: must be a mapping of keys to values, found {type(d).__name__}")
    odd = [k for k in d if not isinstance(k, str)]
    if odd:
        raise BeamnetError(f"config: keys must be names, found {odd[0]!r}")
    if "model" not in d:
        raise BeamnetError("config: no model key; name the model family (model: beamnet, ...)")
    model = d["model"]
    if not isinstance(model, str):
        raise BeamnetError(f"config: model={model!r} is not a known model; name the model family")
    cls = config_class(model)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(d) - names)
    if unknown:
        raise BeamnetError(f"config: unknown key(s) {', '.join(unknown)} for model {model}; "
                           f"known keys: {', '.join(sorted(names))}")
    d = dict(d)
    for key, typ in cls.TUPLES.items():
        if key in d and d[key] is not None:
            if isinstance(d[key], (str, bytes, dict)) or not hasattr(d[key], "__iter__"):
                raise BeamnetError(f"config: {key}={d[key]!r} must be a list of {typ.__name__}")
            d[key] = tuple(_typed(key, v, typ.__name__) for v in d[key])
    try:
        return cls(**d)
    except TypeError as exc:  # wrong value types
        raise BeamnetError(f"config: {exc}") from None


def _yaml_loader():
    """yaml's SafeLoader that also reads ``1e-3`` / ``1e30`` as floats (YAML 1.2; 1.1 wants a dot)."""
    import re

    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"), list("-+0123456789"))
    return Loader


def _yaml_problem(exc: Exception) -> str:
    """A YAML parse error in one line (yaml's own message spans several)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark else problem


def parse_override(text: str) -> tuple[str, Any]:
    """``key=value`` from the command line; the value is read as YAML (numbers, lists, bools)."""
    import yaml

    if "=" not in text:
        raise BeamnetError(f"--set {text!r} must look like key=value, e.g. --set w_inh=3.5")
    key, _, raw = text.partition("=")
    key = key.strip()
    if not key:
        raise BeamnetError(f"--set {text!r} has no key before '='; write key=value, e.g. --set w_inh=3.5")
    if not raw.strip():
        raise BeamnetError(f"--set {text!r} has no value after '='; write {key}=VALUE")
    try:
        value = yaml.load(raw, Loader=_yaml_loader())   # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError:
        value = raw
    return key, value


def load(path: str | Path, model: str | None = None) -> TrainConfig:
    """Load a config from JSON or YAML (by extension).

    ``model`` (``--model``) is the family of a file without a ``model:`` key, checked as
    that family; a file that names another family is refused. Neither: ``DEFAULT_MODEL``.
    """
    p = Path(path)
    if p.is_dir():
        raise BeamnetError(f"config file {p} is a folder; give a YAML or JSON file")
    if not p.is_file():
        raise BeamnetError(f"config file {p} does not exist")
    try:
        text = p.read_text(encoding="utf-8")
        if p.suffix in (".yaml", ".yml"):
            import yaml
            data = yaml.load(text, Loader=_yaml_loader()) or {}   # noqa: S506 - a SafeLoader subclass
        else:
            data = json.loads(text)
    except UnicodeDecodeError:
        raise BeamnetError(f"config file {p} is not UTF-8 text (a binary file?)") from None
    except Exception as exc:  # noqa: BLE001 - any parse error is the user's file
        raise BeamnetError(f"config file {p} could not be parsed: {_yaml_problem(exc)}") from None
    if not isinstance(data, dict):
        raise BeamnetError(f"config file {p} must hold a mapping of keys to values")
    if model and data.get("model", model) != model:
        raise BeamnetError(f"--model {model} contradicts model: {data['model']} in {p}")
    return from_dict({"model": model or DEFAULT_MODEL, **data})
