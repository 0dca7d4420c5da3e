"""Recurrent SNNs of BRF, RF or ALIF neurons for sequences (``--model brf-rsnn|rf-rsnn|alif-rsnn``).

Higuchi et al., ICML 2024 (arXiv 2402.14603), Sec. 4: input -> one recurrent
hidden layer (``I_t = W [input_t ; z_{t-1}]``) -> leaky-integrator readout.
The neuron equations live in :mod:`beamnet_lava.neurons.brf` (:func:`~beamnet_lava.neurons.brf.step`);
this module wraps them Norse-style: :class:`ResonatorNeuron` holds the
trainable ``omega`` and ``b'`` and applies the pure step with the
double-Gaussian surrogate. :class:`ResonatorRecurrent` is the block (synapses
+ neuron, recurrent), shaped like slayer's blocks: input and output
``(batch, channels, time)``. ``alif-rsnn`` uses slayer's own
``block.alif.Recurrent`` in the same place.

:meth:`ResonatorRSNN.forward_fixed` is the fixed-point forward (BRF/RF): the integer
equations of :func:`beamnet_lava.neurons.brf.step_fixed` with the exported integer
parameters; the Lava fixed_pt processes compute exactly the same.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import torch

from beamnet_lava.families.registry import provide
from beamnet_lava.neurons import brf


class DoubleGaussianSpike(torch.autograd.Function):
    """Heaviside forward, :func:`beamnet_lava.neurons.brf.double_gaussian` backward."""

    @staticmethod
    def forward(ctx, v: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(v)
        return (v > 0).to(v.dtype)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (v,) = ctx.saved_tensors
        return grad * brf.double_gaussian(v)


spike = DoubleGaussianSpike.apply


class ResonatorNeuron(torch.nn.Module):
    """BRF (``balanced=True``) or vanilla RF neurons with trainable ``omega`` and ``b'`` per neuron."""

    def __init__(self, n: int, balanced: bool, omega_init: tuple[float, float],
                 b_offset_init: tuple[float, float], generator: torch.Generator | None = None,
                 delta: float = brf.DELTA) -> None:
        super().__init__()
        brf.check_params(omega_init, b_offset_init, delta, where="ResonatorNeuron init")
        self.balanced = bool(balanced)
        self.delta = float(delta)
        self.omega = torch.nn.Parameter(_uniform(n, omega_init, generator))
        self.b_offset = torch.nn.Parameter(_uniform(n, b_offset_init, generator))

    def init_state(self, batch: int) -> brf.State:
        z = torch.zeros(batch, self.omega.numel(), device=self.omega.device)
        return brf.State(z, z, z)

    def forward(self, state: brf.State, drive: torch.Tensor) -> tuple[brf.State, torch.Tensor]:
        return brf.step(state, drive, self.omega, self.b_offset, balanced=self.balanced,
                        delta=self.delta, spike_fn=spike)

    @torch.no_grad()
    def project(self) -> None:
        """Keep parameters in the valid region after an optimiser step: ``|omega| < 1/delta``
        (strictly: the boundary's gradient is infinite there) and ``b' >= 0``."""
        limit = (1.0 - 1e-3) * brf.omega_limit(self.delta)
        self.omega.clamp_(-limit, limit)
        self.b_offset.clamp_(min=0.0)

    def fixed_params(self) -> brf.FixedParams:
        return brf.quantize_neuron(self.omega.detach().numpy(), self.b_offset.detach().numpy(),
                                   self.balanced, self.delta)


def _uniform(n: int, lo_hi: tuple[float, float], generator: torch.Generator | None) -> torch.Tensor:
    lo, hi = float(lo_hi[0]), float(lo_hi[1])
    return lo + (hi - lo) * torch.rand(n, generator=generator)


def _normal(shape: tuple[int, int], gain: float, generator: torch.Generator | None) -> torch.Tensor:
    return torch.randn(*shape, generator=generator) * gain / math.sqrt(shape[1])


class ResonatorRecurrent(torch.nn.Module):
    """Recurrent block ``z_t = N(W x_t + R z_{t-1})`` of resonator neurons; ``(B, C, T) -> (B, H, T)``."""

    def __init__(self, n_in: int, n_hidden: int, neuron: ResonatorNeuron, input_gain: float,
                 recurrent_gain: float, generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.neuron = neuron
        self.weight = torch.nn.Parameter(_normal((n_hidden, n_in), input_gain, generator))
        self.weight_rec = torch.nn.Parameter(_normal((n_hidden, n_hidden), recurrent_gain, generator))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ff = torch.einsum("hc,bct->bth", self.weight, x)
        state = self.neuron.init_state(x.shape[0])
        z = torch.zeros_like(state.x)
        out = []
        for t in range(x.shape[-1]):
            state, z = self.neuron(state, ff[:, t] + z @ self.weight_rec.T)
            out.append(z)
        return torch.stack(out, dim=-1)


class LeakyReadout(torch.nn.Module):
    """Non-spiking leaky integrator ``v_t = a v_{t-1} + (1 - a) W z_t``; logits ``mean_t v_t``."""

    def __init__(self, n_in: int, n_out: int, tau: float, gain: float = 1.0,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.alpha = math.exp(-1.0 / tau)
        self.weight = torch.nn.Parameter(_normal((n_out, n_in), gain, generator))

    def forward(self, spikes: torch.Tensor) -> torch.Tensor:
        drive = torch.einsum("kh,bht->btk", self.weight, spikes)
        v = torch.zeros(spikes.shape[0], self.weight.shape[0], device=self.weight.device)
        total = torch.zeros_like(v)
        for t in range(drive.shape[1]):
            v = self.alpha * v + (1 - self.alpha) * drive[:, t]
            total = total + v
        return total / drive.shape[1]


@dataclass
class FixedForward:
    """Result of :meth:`SeqRSNN.forward_fixed`."""

    predictions: np.ndarray        # (n,)
    hidden_spikes: np.ndarray      # (n, H, T) uint8
    scores: np.ndarray             # (n, K) int64: readout membrane summed over time


class SeqRSNN(torch.nn.Module):
    """``1 -> H recurrent -> K`` leaky-integrator readout; input ``(B, 1, T)`` in [0, 1].

    The hidden block is the subclass's: :class:`ResonatorRSNN` (BRF / RF) or
    :class:`AlifRSNN` (slayer's ALIF). ``fixed_point``: whether it has the integer form
    that exports and runs on Lava (:meth:`forward_fixed`).
    """

    fixed_point = False

    def __init__(self, n_in: int, n_hidden: int, n_out: int, cfg) -> None:
        super().__init__()
        self.sizes = [int(n_in), int(n_hidden), int(n_out)]
        gen = torch.Generator().manual_seed(int(cfg.seed))
        self.hidden = self.hidden_block(cfg, n_in, n_hidden, gen)
        self.readout = LeakyReadout(n_hidden, n_out, cfg.readout_tau, cfg.readout_gain, gen)

    def hidden_block(self, cfg, n_in: int, n_hidden: int, gen: torch.Generator) -> torch.nn.Module:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits ``(B, K)`` and hidden spikes ``(B, H, T)``."""
        z = self.hidden(x)
        return self.readout(z), z

    def project(self) -> None:
        """Keep trained neuron parameters in their valid region (after each optimiser step)."""


class ResonatorRSNN(SeqRSNN):
    """BRF (``balanced``) or RF hidden neurons (:class:`ResonatorRecurrent`), with a fixed-point form."""

    fixed_point = True

    def __init__(self, balanced: bool, n_in: int, n_hidden: int, n_out: int, cfg) -> None:
        self.balanced = bool(balanced)
        super().__init__(n_in, n_hidden, n_out, cfg)

    def hidden_block(self, cfg, n_in: int, n_hidden: int, gen: torch.Generator) -> torch.nn.Module:
        neuron = ResonatorNeuron(n_hidden, self.balanced, cfg.omega_init, cfg.b_offset_init, gen)
        return ResonatorRecurrent(n_in, n_hidden, neuron, cfg.input_gain, cfg.recurrent_gain, gen)

    def project(self) -> None:
        self.hidden.neuron.project()

    # -- fixed point (BRF / RF) ---------------------------------------------------------------
    def fixed_layers(self, input_levels: int) -> dict:
        """Integer parameters of the exported network (what Lava runs)."""
        neuron = self.hidden.neuron
        unit_in = neuron.delta * brf.ONE / input_levels
        w_in, e_in = brf.quantize_weights(self.hidden.weight.detach().numpy(), unit_in)
        w_rec, e_rec = brf.quantize_weights(self.hidden.weight_rec.detach().numpy(),
                                            neuron.delta * brf.ONE)
        w_out, e_out = brf.quantize_weights(self.readout.weight.detach().numpy(), float(brf.ONE))
        return {"neuron": neuron.fixed_params(), "weight": (w_in, e_in), "weight_rec": (w_rec, e_rec),
                "weight_out": (w_out, e_out), "alpha": brf.readout_alpha_int(self.readout.alpha)}

    def forward_fixed(self, levels: np.ndarray, input_levels: int) -> FixedForward:
        """Integer forward of integer inputs ``(n, 1, T)`` (pixel levels 0..input_levels)."""
        return fixed_forward(self.fixed_layers(input_levels), levels)


class AlifRSNN(SeqRSNN):
    """slayer's ``block.alif.Recurrent`` as the hidden layer (a training baseline: no export)."""

    def hidden_block(self, cfg, n_in: int, n_hidden: int, gen: torch.Generator) -> torch.nn.Module:
        block = _alif_block(cfg, n_in, n_hidden)
        with torch.no_grad():   # slayer's default init is too weak for one analog input channel
            w = block.input_synapse.weight
            w.copy_(_normal((n_hidden, n_in), cfg.alif_input_gain, gen).reshape(w.shape))
            r = block.recurrent_synapse.weight
            r.copy_(_normal((n_hidden, n_hidden), cfg.alif_recurrent_gain, gen).reshape(r.shape))
        return block

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        _reset_alif(self.hidden)
        z = self.hidden(x)
        _reset_alif(self.hidden)    # nothing of this batch stays in the block (or its state_dict)
        return self.readout(z), z


def fixed_forward(layers: dict, levels: np.ndarray) -> FixedForward:
    """The fixed-point network of ``layers`` (see :meth:`ResonatorRSNN.fixed_layers`) on integer inputs."""
    levels = np.asarray(levels, dtype=np.int64)
    n, _, steps = levels.shape
    params: brf.FixedParams = layers["neuron"]
    (w_in, e_in), (w_rec, e_rec), (w_out, e_out) = layers["weight"], layers["weight_rec"], layers["weight_out"]
    h, k = w_in.shape[0], w_out.shape[0]
    state = brf.zero_state_fixed((n, h))
    z = np.zeros((n, h), dtype=np.int64)
    v = np.zeros((n, k), dtype=np.int64)
    total = np.zeros((n, k), dtype=np.int64)
    spikes = np.zeros((n, h, steps), dtype=np.uint8)
    ff = brf.dense_fixed(w_in, e_in, levels.transpose(0, 2, 1))      # (n, T, H)
    for t in range(steps):
        state, zb = brf.step_fixed(state, ff[:, t] + brf.dense_fixed(w_rec, e_rec, z), params)
        z = zb.astype(np.int64)
        spikes[:, :, t] = zb
        v = brf.readout_step_fixed(v, brf.dense_fixed(w_out, e_out, z), layers["alpha"])
        total += v
    return FixedForward(total.argmax(axis=1), spikes, total)


def _alif_block(cfg, n_in: int, n_hidden: int):
    from beamnet_lava._quiet import import_slayer

    slayer = import_slayer()
    params = {"threshold": cfg.alif_threshold, "threshold_step": cfg.alif_threshold_step,
              "current_decay": cfg.alif_current_decay, "voltage_decay": cfg.alif_voltage_decay,
              "threshold_decay": cfg.alif_threshold_decay,
              "refractory_decay": cfg.alif_refractory_decay, "requires_grad": False}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        block = slayer.block.alif.Recurrent(params, n_in, n_hidden, weight_scale=1,
                                            weight_norm=False, delay_shift=False)
    block.neuron.shape = torch.Size([n_hidden])
    return block


def _reset_alif(block) -> None:
    """slayer's recurrent blocks keep neuron state across calls; every sequence starts from rest."""
    neuron = block.neuron
    neuron.current_state = torch.zeros(1)
    neuron.voltage_state = torch.zeros(1)
    neuron.threshold_state = torch.tensor([float(neuron.threshold)])
    neuron.refractory_state = torch.zeros(1)
    block.spike_state = torch.zeros(1)


def build_brf(cfg, n_in: int, n_out: int) -> ResonatorRSNN:
    return ResonatorRSNN(True, n_in, cfg.hidden[0], n_out, cfg)


def build_rf(cfg, n_in: int, n_out: int) -> ResonatorRSNN:
    return ResonatorRSNN(False, n_in, cfg.hidden[0], n_out, cfg)


def build_alif(cfg, n_in: int, n_out: int) -> AlifRSNN:
    return AlifRSNN(n_in, cfg.hidden[0], n_out, cfg)


# this module's hooks, attached by the registry (families.registry.load) through models/__init__.py's providers()
PROVIDES = [
    provide("build", build_brf, "brf-rsnn"),
    provide("build", build_rf, "rf-rsnn"),
    provide("build", build_alif, "alif-rsnn"),
]
