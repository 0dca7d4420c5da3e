"""BEAM-Net training model (../shared/BEAMNET_SPEC.md), fixed-point exact in the forward pass.

Pipeline for one window of ``T`` steps:

1. Encoding (Eq. 7 or population latency): one spike time per encoder neuron.
2. Coincidence detection (Eq. 21, Eq. 22): input ``i`` reaches memory neuron
   ``j`` at ``t_i + d_ij``; the integer delays ``d_ij = round(tau * c_ij)`` store
   pattern ``c_j``, so an input equal to ``c_j`` arrives all at once at ``T_ref``.
   Weights ``w_ij`` are trained (8-bit mantissas on ``theta_mant``). Because a
   latency code has at most one spike per input, the delayed drive is a single
   ``scatter_add`` of weights into a ``(batch, N, T)`` tensor: no
   inputs x memory x delay x time tensor is ever built.
3. Bayesian LIF memory neurons with lateral inhibition (Eq. 8-10, Prop. 3.3),
   :func:`beamnet_lava.neurons.bayes_lif.step` itself (torch, integer-valued state units), with
   noise from :mod:`beamnet_lava.neurons.noise`. Gradients: straight-through for the
   12-bit decays, logistic surrogate (width ``surrogate_width`` theta, the
   derivative of Eq. 9's sigmoid) for spikes; the inhibition and threshold
   traces are detached (their gradients explode, see BEAMNET_NOTES lesson 1).
   By default (``weight_objective: race``) the weights learn only from each
   neuron's potential at the step the first memory spike falls
   (:meth:`BeamNet.forward`, ``race``; the loss is in training/beamnet_train.py),
   and the spike counts reach only the readout.
4. Dirichlet readout (Eq. 12): evidence ``e = softplus(R) @ n`` from spike
   counts ``n``, ``alpha = alpha_0 + eta * e``. The prediction and every
   uncertainty come from these spike counts only.

Bidirectional inference (Eq. 16, Eq. 17, Theorem 3.6), at evaluation: after
window ``k`` the memory posterior ``q_j = n_j / sum n`` lowers encoder
thresholds by ``lambda * sum_j q_j W_TD_ji`` with ``W_TD = c`` (the stored
patterns). For a latency encoder, lowering the threshold by ``delta`` fires it
as if its intensity were ``x + delta``, so the next window encodes
``x + lambda * q @ c``. Windows repeat until ``||p_k - p_{k-1}||_1 < epsilon``
on the class posterior ``p`` or ``max_windows`` (at most Theorem 3.6's bound)
is reached; the last window's counts give the prediction.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from beamnet_lava.metrics.uncertainty import Uncertainty, first_spike_steps, probe_mixture, temper
from beamnet_lava.neurons import bayes_lif, noise
from beamnet_lava.neurons.bayes_lif import BayesLIFParams
from beamnet_lava.config import BeamnetConfig
from beamnet_lava.errors import BeamnetError
from beamnet_lava.data.encoding import check_images, latency_times, population_intensity
from beamnet_lava.families.registry import provide
from beamnet_lava.neurons.fixed_point import (W_SCALE, WEIGHT_MANT_MAX, WEIGHT_MANT_MIN, decay_keep,
                                               decay_of_tau)


def hardware_params(cfg: BeamnetConfig) -> BayesLIFParams:
    """Integer memory-layer parameters of ``cfg`` (state units)."""
    theta = int(round(cfg.theta_0 * cfg.theta_mant)) * W_SCALE
    return BayesLIFParams(
        du=decay_of_tau(cfg.tau_s, cfg.dt), dv=decay_of_tau(cfg.tau_m, cfg.dt),
        d_syn=decay_of_tau(cfg.tau_syn, cfg.dt), d_theta=decay_of_tau(cfg.tau_theta, cfg.dt),
        theta=theta, gamma=int(round(cfg.gamma * theta)), w_inh=int(round(cfg.w_inh * theta)),
        delta=int(round(cfg.delta * theta)), seed=int(cfg.seed))


def encoder_intensity(x: np.ndarray, cfg: BeamnetConfig) -> np.ndarray:
    """Intensity of each encoder neuron: the image itself (Eq. 7) or its population code."""
    x = check_images(x)
    return population_intensity(x, cfg.pop_size, cfg.pop_sigma) if cfg.encoding == "population" else x


class _Spike(torch.autograd.Function):
    """Heaviside forward; derivative of sigmoid(z / width) backward (Eq. 9's own slope)."""

    @staticmethod
    def forward(ctx, z: torch.Tensor, width: float) -> torch.Tensor:
        ctx.save_for_backward(z)
        ctx.width = width
        return (z > 0).to(z.dtype)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (z,) = ctx.saved_tensors
        s = torch.sigmoid(z / ctx.width)
        return grad * s * (1 - s) / ctx.width, None


def _ste(x: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    return x + (q - x).detach()


@dataclass
class WindowOutput:
    spikes: torch.Tensor        # (B, N, T) memory spikes
    counts: torch.Tensor        # (B, N) spikes after burn-in
    alpha: torch.Tensor         # (B, K) Dirichlet concentrations
    race: torch.Tensor | None = None   # (B, N) potentials (theta_0 units) when the first spike fell


class BeamNet(torch.nn.Module):
    def __init__(self, cfg: BeamnetConfig, n_inputs: int, n_classes: int) -> None:
        super().__init__()
        self.cfg = cfg
        self.hw = hardware_params(cfg)
        self.n_inputs, self.n_classes, self.n_memory = n_inputs, n_classes, cfg.n_memory
        n = cfg.n_memory
        self.weight = torch.nn.Parameter(torch.zeros(n, n_inputs))   # in theta_0 units
        self.readout = torch.nn.Parameter(torch.zeros(n_classes, n))  # softplus -> A >= 0
        self.register_buffer("patterns", torch.zeros(n, n_inputs))   # c_j, also W_TD (Eq. 16)
        self.register_buffer("delays", torch.zeros(n, n_inputs, dtype=torch.int64))
        self.register_buffer("pattern_class", torch.zeros(n, dtype=torch.int64))
        self.register_buffer("eta", torch.tensor(float(cfg.eta)))

    @property
    def sizes(self) -> list[int]:
        """``[inputs, classes]``: what a checkpoint records to rebuild the model."""
        return [self.n_inputs, self.n_classes]

    # -- initialisation from data ------------------------------------------------------------
    def init_from_data(self, intensity: np.ndarray, labels: np.ndarray, seed: int) -> None:
        """Store patterns (k-means centres per class or class prototypes) as delays (Eq. 22)."""
        cfg = self.cfg
        patterns, classes = _store_patterns(intensity, labels, self.n_classes, cfg.n_memory,
                                            cfg.patterns, seed)
        if len(patterns) != self.n_memory:
            raise ValueError(f"got {len(patterns)} patterns for {self.n_memory} memory neurons")
        delays = np.clip(np.floor(cfg.tau_spread * patterns + 0.5), 0, cfg.dt_max).astype(np.int64)
        w = initial_weights(patterns, cfg.weight_init, cfg.input_floor)
        with torch.no_grad():
            self.patterns.copy_(torch.from_numpy(patterns))
            self.delays.copy_(torch.from_numpy(delays))
            self.pattern_class.copy_(torch.from_numpy(classes))
            self.weight.copy_(torch.from_numpy(w))
            gain = cfg.init_gain / self._median_peak(intensity[:512])
            self.weight.mul_(gain)
            own = F.one_hot(self.pattern_class, self.n_classes).T.to(self.readout.dtype)
            self.readout.copy_(own * math.log(math.e - 1) + (1 - own) * -4.6)  # softplus: 1 / 0.01

    def _median_peak(self, intensity: np.ndarray) -> float:
        """Median over samples of the highest peak potential (theta units), no spikes, no noise."""
        times = torch.from_numpy(self.encode_times(intensity))
        drive = self.drive(times, quantize=False).double() * W_SCALE
        u = torch.zeros_like(drive[..., 0])
        v = torch.zeros_like(u)
        peak = torch.full_like(u, -math.inf)
        for t in range(drive.shape[-1]):
            u = u * decay_keep(self.hw.du) + drive[..., t]
            v = v * decay_keep(self.hw.dv) + u
            peak = torch.maximum(peak, v)
        best = peak.max(dim=1).values / self.hw.theta
        return float(best.median().clamp_min(1e-6))

    # -- encoding and coincidence ------------------------------------------------------------
    def encode_times(self, intensity: np.ndarray) -> np.ndarray:
        cfg = self.cfg
        return latency_times(intensity, cfg.t_ref, cfg.tau_spread, cfg.input_floor)

    def weight_mantissa(self, quantize: bool = True) -> torch.Tensor:
        """8-bit weight mantissas on theta_mant (even steps, as Lava's 8-bit Dense), STE."""
        w = self.weight * self.cfg.theta_mant
        if not quantize:
            return w
        q = torch.clamp(2 * torch.floor(w / 2 + 0.5), WEIGHT_MANT_MIN, WEIGHT_MANT_MAX)
        return _ste(w, q)

    DRIVE_CHUNK = 1 << 24        # arrival-index elements (int64) built at once: 128 MB

    def drive(self, times: torch.Tensor, quantize: bool = True) -> torch.Tensor:
        """Delayed synaptic drive (Eq. 21) ``(B, N, T)`` in weight-mantissa units.

        One scatter-add of each input's single spike (latency code) into its arrival
        step per synapse; the ``(b, N, inputs)`` arrival indices are built for a few
        samples at a time, so memory stays bounded for large N x inputs.
        """
        T = self.cfg.time_steps
        b, n = times.shape[0], self.n_memory
        w = self.weight_mantissa(quantize).to(torch.float32)
        step = max(1, self.DRIVE_CHUNK // max(1, n * times.shape[1]))
        outs = []
        for i in range(0, b, step):
            t = times[i:i + step]
            arrival = t[:, None, :] + self.delays[None]
            valid = (t >= 0)[:, None, :] & (arrival < T)
            idx = torch.where(valid, arrival, torch.full_like(arrival, T))
            out = torch.zeros(len(t), n, T + 1, dtype=torch.float32, device=w.device)
            outs.append(out.scatter_add(2, idx, w.unsqueeze(0).expand(len(t), -1, -1))[..., :T])
        return outs[0] if len(outs) == 1 else torch.cat(outs)

    # -- memory layer ------------------------------------------------------------------------
    def noise(self, sample_keys: np.ndarray, window: int, hw: BayesLIFParams | None = None) -> torch.Tensor:
        """Eq. 9 draws ``(B, N, T)`` keyed by (seed, neuron, :func:`~beamnet_lava.neurons.noise.noise_step`)."""
        hw = hw or self.hw
        T = self.cfg.time_steps
        steps = noise.noise_step(np.asarray(sample_keys, dtype=np.int64)[:, None], window, np.arange(T),
                                 T, noise.key_span(self.cfg.max_windows, T))
        eps = noise.noise_block(hw.seed, self.n_memory, steps, hw.delta)   # (B, T, N)
        return torch.from_numpy(eps).permute(0, 2, 1).double().to(self.weight.device)

    def memory(self, drive: torch.Tensor, eps: torch.Tensor,
               potentials: list[torch.Tensor] | None = None,
               hw: BayesLIFParams | None = None) -> torch.Tensor:
        """Run the Bayesian LIF layer over a window (bayes_lif.step, differentiable).

        ``potentials``, when given, receives ``(v - theta) / theta_0`` of every
        step before the spike test (differentiable in the weights), for the race loss.
        ``hw``: other integer parameters than the model's (the probe window's).
        """
        p = hw or self.hw
        width = self.cfg.surrogate_width * p.theta
        arith = bayes_lif.Arithmetic.training(lambda z: _Spike.apply(z, width))
        b, n, T = drive.shape
        drive = drive.double()
        zero = drive.new_zeros(b, n)
        state = bayes_lif.State(zero, zero.clone(), zero.clone(), zero.clone(), zero.clone())
        spikes = []
        for t in range(T):
            state = bayes_lif.step(state, drive[..., t], eps[..., t], p, arith, potentials)
            spikes.append(state.s)
        return torch.stack(spikes, dim=-1)

    def evidence_weights(self) -> np.ndarray:
        """``A = softplus(R)`` ``(K, N)``, float64 as the Lava readout (Eq. 12)."""
        return F.softplus(self.readout.detach().double()).cpu().numpy()

    def readout_alpha(self, counts: torch.Tensor, eta: torch.Tensor | float | None = None) -> torch.Tensor:
        """Eq. 12: ``alpha = alpha_0 + eta * softplus(R) @ n``."""
        eta = self.eta if eta is None else eta
        evidence = counts.double() @ F.softplus(self.readout.double()).T   # float64, as the Lava readout
        return self.cfg.alpha_0 + eta * evidence

    def window_spikes(self, intensity: np.ndarray, sample_keys: np.ndarray, k: int = 0,
                      potentials: list[torch.Tensor] | None = None, probe: bool = False) -> torch.Tensor:
        """Memory spikes ``(B, N, T)`` of window ``k`` (Eq. 7, 21-22, 8-10), or of the probe
        window (:func:`probe_params`: no lateral inhibition, its own noise)."""
        hw = probe_params(self.hw, probe_delta(self.cfg, self.hw)) if probe else self.hw
        times = torch.from_numpy(self.encode_times(intensity)).to(self.weight.device)
        return self.memory(self.drive(times), self.noise(sample_keys, k, hw), potentials, hw)

    def window(self, intensity: np.ndarray, sample_keys: np.ndarray, k: int = 0) -> WindowOutput:
        spikes = self.window_spikes(intensity, sample_keys, k)
        counts = spikes[..., self.cfg.burn_in:].sum(-1)
        return WindowOutput(spikes, counts, self.readout_alpha(counts))

    def forward(self, intensity: np.ndarray, sample_keys: np.ndarray) -> WindowOutput:
        """One window (the bidirectional loop off): used in training.

        Also returns each memory neuron's potential at the step the first memory
        spike fell (the race: lateral inhibition silences the others right after).
        """
        pots: list[torch.Tensor] = []
        spikes = self.window_spikes(intensity, sample_keys, 0, pots)
        counts = spikes[..., self.cfg.burn_in:].sum(-1)
        if self.cfg.weight_objective == "race":   # weights learn the race only; readout the counts
            counts = counts.detach()
        v = torch.stack(pots, dim=-1)                                   # (B, N, T)
        fired = spikes.detach().sum(1) > 0                              # (B, T)
        first = torch.where(fired.any(1), fired.float().argmax(1),      # no spike: highest peak
                            v.detach().max(1).values.argmax(1))
        race = v.gather(2, first[:, None, None].expand(-1, v.shape[1], 1)).squeeze(2)
        return WindowOutput(spikes, counts, self.readout_alpha(counts), race)

    @torch.no_grad()
    def infer(self, intensity: np.ndarray, sample_keys: np.ndarray,
              bidirectional: bool | None = None,
              run_window: Callable[..., np.ndarray] | None = None,
              probe: bool | None = None) -> dict[str, np.ndarray]:
        """Inference with the optional top-down loop (Eq. 16, 17); numpy results per sample.

        ``run_window(intensity, sample_keys, k, probe=False)`` returns the memory spikes
        ``(B, N, T)`` of window ``k`` (with ``probe=True``: of the probe window,
        :func:`probe_params`); by default this model computes them, and a Lava
        back-end can pass its own, so the loop itself exists once. With
        ``uncertainty: probe`` the result also holds ``probe_spikes``: the probe
        window on the input as given (no top-down), after the loop (``probe``: run it or not,
        default as configured).
        """
        cfg = self.cfg
        if run_window is None:
            def run_window(x, keys, k, probe=False):
                return self.window_spikes(x, keys, k, probe=probe).cpu().numpy()
        loop = cfg.bidirectional if bidirectional is None else bidirectional
        n_windows = cfg.max_windows if loop else 1
        base = np.asarray(intensity, dtype=np.float64)
        x = base
        b = len(x)
        done = np.zeros(b, dtype=bool)
        used = np.zeros(b, dtype=np.int64)
        counts = spikes = alpha = prev_p = None
        patterns = self.patterns.double().cpu().numpy()
        for k in range(n_windows):
            s = np.asarray(run_window(x, sample_keys, k), dtype=np.float64)
            n = s[..., cfg.burn_in:].sum(-1)
            a = self.readout_alpha(torch.from_numpy(n).to(self.weight.device)).cpu().numpy()
            if k == 0:
                counts, spikes, alpha = n.copy(), s.copy(), a.copy()
            else:   # converged samples keep the window they converged in
                active = ~done
                counts[active], spikes[active], alpha[active] = n[active], s[active], a[active]
            used[~done] = k + 1
            p = a / a.sum(1, keepdims=True)
            if prev_p is not None:
                done |= np.abs(p - prev_p).sum(1) < cfg.epsilon     # Eq. 17
            if done.all():
                break
            q = n / np.maximum(n.sum(1, keepdims=True), 1.0)        # memory posterior
            x = np.where(done[:, None], x, np.clip(base + cfg.lambda_td * q @ patterns, 0.0, 1.0))
            prev_p = p
        out = {"counts": counts, "spikes": spikes, "alpha": alpha, "windows": used}
        if cfg.uncertainty == "probe" if probe is None else probe:
            out["probe_spikes"] = np.asarray(run_window(base, sample_keys, 0, probe=True),
                                             dtype=np.float64)
        return out

    def probe_uncertainty(self, alpha: np.ndarray, counts: np.ndarray, probe_spikes: np.ndarray,
                          temperature: float = 1.0) -> Uncertainty:
        """The probe read-out (``uncertainty: probe``): the mixture of the inference window's
        Dirichlet and the probe window's neurons (:func:`probe_mixture`), its probabilities at
        the validation-fitted ``temperature`` (:func:`temper`; 1: as the mixture gives them).
        ``alpha`` ``(B, K)`` and ``counts`` ``(B, N)``: the inference window's; ``probe_spikes``
        ``(B, N, T)``. The one definition the training model, ``evaluate FILE`` and ``run``
        (Lava spikes) all read out with."""
        u = probe_mixture(alpha, np.asarray(counts).sum(1), first_spike_steps(probe_spikes),
                          self.evidence_weights(), self.cfg.alpha_0, float(self.eta), self.cfg.probe_tau)
        return temper(u, temperature)


#: added to the run's seed for the probe window's noise: draws independent of every loop window
PROBE_SEED_OFFSET = 0x5EED


def probe_params(hw: BayesLIFParams, delta: int = 0) -> BayesLIFParams:
    """The probe window's memory layer: ``hw`` without lateral inhibition (``w_inh = 0``), with
    its own noise seed and noise scale ``delta`` (state units, :func:`probe_delta`; 0: none).
    Without inhibition every memory neuron whose potential crosses threshold fires, at a step
    that reads its place in the race (docs/beamnet.md, "Uncertainty that flags errors"); on Lava
    the same BayesLIF process with three Vars changed."""
    return dataclasses.replace(hw, w_inh=0, delta=int(delta), seed=hw.seed + PROBE_SEED_OFFSET)


def probe_delta(cfg: BeamnetConfig, hw: BayesLIFParams) -> int:
    """``cfg.probe_delta`` in state units, as :func:`hardware_params` scales ``delta``."""
    return int(round(cfg.probe_delta * hw.theta))


def initial_weights(patterns: np.ndarray, how: str, floor: float) -> np.ndarray:
    """Coincidence weights from the stored patterns ``c_j`` (before the global gain).

    ``zero_mean``: ``w_j = (c_j - mean(c_j)) / ||c_j - mean(c_j)||_1``, a matched
    filter that ignores overall brightness (bright inputs on dark pattern pixels
    are penalised, so an image brighter than the pattern does not win the
    first-to-fire race). ``proportional``: ``w_j = c_j / sum(c_j)`` minus ``1/d``
    on pixels dark in ``c_j`` (the feasibility prototype, BEAMNET_NOTES).
    """
    if how == "proportional":
        dark = patterns < floor
        return patterns / np.maximum(patterns.sum(axis=1, keepdims=True), 1e-9) - dark / patterns.shape[1]
    w = patterns - patterns.mean(axis=1, keepdims=True)
    return w / np.maximum(np.abs(w).sum(axis=1, keepdims=True), 1e-9)


def _store_patterns(intensity: np.ndarray, labels: np.ndarray, n_classes: int, n_memory: int,
                    how: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Patterns to store: ``n_memory // K`` k-means centres per class (or the class means)."""
    from sklearn.cluster import KMeans

    if how == "prototype":
        if n_memory != n_classes:
            raise BeamnetError(f"config: patterns=prototype stores one pattern per class: set "
                               f"n_memory={n_classes}")
        centres = [intensity[labels == c].mean(axis=0) for c in range(n_classes)]
        per_class = [1] * n_classes
    else:
        base, extra = divmod(n_memory, n_classes)
        per_class = [base + (c < extra) for c in range(n_classes)]
        counts = np.bincount(labels, minlength=n_classes)
        short = [c for c in range(n_classes) if counts[c] < per_class[c]]
        if short:
            raise BeamnetError(
                f"config: n_memory={n_memory} stores {max(per_class)} k-means patterns per class, but "
                f"class(es) {', '.join(map(str, short))} have only {min(counts[c] for c in short)} "
                f"training samples; lower n_memory to at most "
                f"{n_classes * int(counts.min())} or train on more data")
        centres = []
        for c in range(n_classes):
            xc = intensity[labels == c]
            k = min(per_class[c], len(xc))
            km = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(xc)
            centres.append(km.cluster_centers_)
            per_class[c] = k
    patterns = np.clip(np.vstack(centres), 0.0, 1.0)
    classes = np.repeat(np.arange(n_classes), per_class)
    return patterns, classes


def build(cfg: BeamnetConfig, n_in: int, n_out: int) -> BeamNet:
    return BeamNet(cfg, n_in, n_out)


# this module's hooks, attached by the registry (families.registry.load) through models/__init__.py's providers()
PROVIDES = [
    provide("build", build, "beamnet"),
]
