"""Training and evaluation of BEAM-Net (evidential objective, Eq. 12-15)."""
from __future__ import annotations

import math
import time
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

import beamnet_lava.training.checkpoint as checkpoint
from beamnet_lava.budget import ADAM, F32, F64, STEP_STATE
from beamnet_lava.config import BeamnetConfig
from beamnet_lava.data.datasets import Split
from beamnet_lava.errors import BeamnetWarning
from beamnet_lava.families.registry import provide
from beamnet_lava.metrics.calibration import ece, nll, reliability_diagram
from beamnet_lava.metrics.uncertainty import dirichlet_uncertainty, fit_temper
from beamnet_lava.models.beamnet import BeamNet, encoder_intensity
from beamnet_lava.neurons.noise import sample_keys

def evidential_loss(alpha: torch.Tensor, labels: np.ndarray, kl_weight: float) -> torch.Tensor:
    """Expected cross-entropy under Dir(alpha) + KL(Dir(alpha~) || Dir(1)) on non-target evidence."""
    k = alpha.shape[1]
    y = F.one_hot(torch.from_numpy(labels).to(alpha.device), k).to(alpha.dtype)
    s = alpha.sum(1, keepdim=True)
    expected_ce = (y * (torch.digamma(s) - torch.digamma(alpha))).sum(1)
    a_t = y + (1 - y) * alpha
    s_t = a_t.sum(1)
    kl = (torch.lgamma(s_t) - math.lgamma(k) - torch.lgamma(a_t).sum(1)
          + ((a_t - 1) * (torch.digamma(a_t) - torch.digamma(s_t)[:, None])).sum(1))
    return (expected_ce + kl_weight * kl).mean()


def shift_images(x: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Each square image moved by a random (dy, dx) in ``-max_shift..max_shift`` (zero fill)."""
    n, d = x.shape
    side = _image_side(d)
    img = x.reshape(n, side, side)
    out = np.zeros_like(img)
    shifts = rng.integers(-max_shift, max_shift + 1, size=(n, 2))
    for i, (dy, dx) in enumerate(shifts):
        ys, yd = (slice(0, side - dy), slice(dy, side)) if dy >= 0 else (slice(-dy, side), slice(0, side + dy))
        xs, xd = (slice(0, side - dx), slice(dx, side)) if dx >= 0 else (slice(-dx, side), slice(0, side + dx))
        out[i, yd, xd] = img[i, ys, xs]
    return out.reshape(n, d)


def _image_side(features: int) -> int:
    side = math.isqrt(features)
    if side * side != features:
        from beamnet_lava.errors import BeamnetError
        raise BeamnetError(f"augment_shift needs square images; these have {features} features: "
                           "set augment_shift=0")
    return side


def race_scores(race: torch.Tensor, pattern_class: torch.Tensor, n_classes: int,
                temperature: float) -> torch.Tensor:
    """Class scores of the first-to-fire race ``(B, K)``: log-sum-exp over the class's
    neurons of ``race / temperature``."""
    z = race / temperature
    onehot = F.one_hot(pattern_class, n_classes).T.to(z.dtype)          # (K, N)
    masked = z[:, None, :] + torch.log(onehot.clamp_min(1e-30))[None]    # (B, K, N)
    return torch.logsumexp(masked, dim=2)


def race_loss(race: torch.Tensor, pattern_class: torch.Tensor, labels: np.ndarray,
              n_classes: int, temperature: float, label_smoothing: float = 0.0) -> torch.Tensor:
    """Cross-entropy of the first-to-fire race (Prop. 3.3 winner-take-all).

    ``race`` holds each memory neuron's potential minus threshold (theta_0 units)
    at the step the first memory spike fell; inhibition then silences the
    rest, so the neuron highest at that step decides the prediction. Class
    score: :func:`race_scores`. ``label_smoothing`` (``race_label_smoothing``):
    torch's, on the race's target (0: none).
    """
    scores = race_scores(race, pattern_class, n_classes, temperature)
    return F.cross_entropy(scores, torch.from_numpy(labels).to(scores.device),
                           label_smoothing=label_smoothing)


RACE_EVIDENCE_MAX = 30.0     # race scores are clamped here before exp (evidence up to e^30)


def race_evidential_loss(race: torch.Tensor, pattern_class: torch.Tensor, labels: np.ndarray,
                         n_classes: int, temperature: float, kl_weight: float) -> torch.Tensor:
    """The evidential loss (Sensoy et al. 2018, :func:`evidential_loss`) on the race itself.

    Class evidence ``e_c = exp(score_c) = sum_{j in c} exp(race_j / temperature)``: about the
    number of class-``c`` neurons at threshold when the first spike falls (a neuron
    ``temperature`` theta below counts e^-1), what the probe window reads as simultaneous
    first spikes. ``alpha = 1 + e``; the KL term removes evidence from the other classes.
    Unlike the cross-entropy it is not shift-invariant: it asks for absolute evidence.
    """
    scores = race_scores(race, pattern_class, n_classes, temperature)
    alpha = 1.0 + torch.exp(scores.clamp(max=RACE_EVIDENCE_MAX))
    return evidential_loss(alpha, labels, kl_weight)


def rank_loss(scores: torch.Tensor, correctness: np.ndarray) -> torch.Tensor:
    """Correctness ranking of the race's confidence (CRL, Moon et al. ICML 2020).

    ``correctness``: each sample's share of earlier epochs in which the race
    picked its label. The race's confidence (the largest softmax probability
    of ``scores``) of sample ``i`` should exceed sample ``j``'s (its neighbour in
    the batch) by at least ``c_i - c_j`` when ``c_i > c_j``: a margin ranking loss,
    zero while the ranking holds and when the two were right equally often.
    """
    conf = torch.softmax(scores, dim=1).max(1).values
    c = torch.from_numpy(np.asarray(correctness, dtype=np.float64)).to(conf)
    c_j, conf_j = c.roll(-1), conf.roll(-1)
    return torch.relu(-torch.sign(c - c_j) * (conf - conf_j) + (c - c_j).abs()).mean()


WEIGHT_ROUNDING_LIMIT = 0.05     # share of the initial weights' L1 mass the 8-bit mantissas may lose


def warn_weight_resolution(model: BeamNet) -> float:
    """Warn when the 8-bit weight mantissas lose much of the stored patterns' weights.

    Returns the relative L1 rounding error of the initial weights. With many
    inputs each weight is small in theta_0 units; on ``theta_mant`` = 4096 the
    MNIST weights (784 inputs) lose 12-14 % of their mass to rounding, 2.9 % on 16384.
    """
    with torch.no_grad():
        w = model.weight
        lost = float((model.weight_mantissa() / model.cfg.theta_mant - w).abs().sum()
                     / w.abs().sum().clamp_min(1e-30))
    if lost > WEIGHT_ROUNDING_LIMIT:
        warnings.warn(
            f"BEAM-Net: with {model.n_inputs} inputs and theta_mant={model.cfg.theta_mant} the 8-bit "
            f"weight mantissas lose {lost:.0%} of the initial weights to rounding; raise theta_mant "
            "(for MNIST use the preset configs/beamnet_mnist.yaml: theta_mant 16384, lr 1e-4)",
            BeamnetWarning, stacklevel=2)
    return lost


ETA_GRID = np.logspace(-2, 4, 241)
TEMPERATURE_GRID = np.round(np.arange(0.2, 3.0001, 0.05), 2)


def fit_eta(evidence: np.ndarray, labels: np.ndarray, alpha_0: float) -> float:
    """The eta (Eq. 12) minimising validation NLL, on a log grid."""
    best = min(ETA_GRID, key=lambda eta: nll(_prob(evidence, alpha_0, eta), labels))
    return float(best)


def fit_calibration(counts: np.ndarray, logits: np.ndarray, labels: np.ndarray, alpha_0: float,
                    temperature: bool) -> tuple[float, float]:
    """Readout temperature ``T`` and ``eta`` minimising NLL on held-out counts (Eq. 12).

    Evidence ``e = softplus(R / T) @ n``, ``alpha = alpha_0 + eta * e``. With one
    or two memory spikes per sample, ``eta`` alone only sets how far the prior
    ``alpha_0`` is swamped (it runs to the top of its grid); the confidence of a
    spike is then the share of its readout column, which ``T`` sharpens
    (``T < 1``) or flattens. Both are fitted on the validation split; ``T = 1``
    when ``temperature`` is off.
    """
    best = (math.inf, 1.0, 1.0)
    for t in (TEMPERATURE_GRID if temperature else [1.0]):
        evidence = counts @ _softplus(logits / t).T
        eta = fit_eta(evidence, labels, alpha_0)
        loss = nll(_prob(evidence, alpha_0, eta), labels)
        if loss < best[0] - 1e-12:
            best = (loss, float(t), eta)
    return best[1], best[2]


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0.0)


def _prob(evidence: np.ndarray, alpha_0: float, eta: float) -> np.ndarray:
    a = alpha_0 + eta * evidence
    return a / a.sum(1, keepdims=True)


def run_model(model: BeamNet, intensity: np.ndarray, keys: np.ndarray, bidirectional: bool,
              batch: int = 256, probe: bool = False) -> dict[str, np.ndarray]:
    """Inference over a split in batches: counts, spikes, alpha, windows used (and the probe
    window's ``probe_spikes`` with ``probe``)."""
    model.eval()
    parts = [model.infer(intensity[i:i + batch], keys[i:i + batch], bidirectional, probe=probe)
             for i in range(0, len(intensity), batch)]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _mean(x: np.ndarray, where: np.ndarray) -> float:
    return float(x[where].mean()) if where.any() else float("nan")


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("nan")


def summarize(model: BeamNet, res: dict[str, np.ndarray], labels: np.ndarray) -> dict[str, Any]:
    """Every metric the spec asks of an evaluation, computed from spike counts only."""
    u = dirichlet_uncertainty(res["alpha"])
    ok = u.prediction == labels
    n_mem = res["counts"].shape[1]
    fired = res["counts"] > 0
    # samples no memory neuron fired for carry the prior alone (the highest epistemic):
    # the ratio among the samples that spiked shows what the spikes themselves say
    spoke = fired.any(1)
    epi_c, epi_w = _mean(u.epistemic, ok), _mean(u.epistemic, ~ok)
    return {
        "accuracy": float(ok.mean()),
        "ece": ece(u.prob, labels),
        "nll": nll(u.prob, labels),
        "active_fraction": float(fired.mean()),                        # fired >= once per sample
        "active_fraction_per_step": float(res["spikes"].mean()),     # spikes / (neuron * step)
        "memory_spikes_per_sample": float(res["counts"].sum(1).mean()),
        "neurons_firing_per_sample": float(fired.sum(1).mean()),
        "n_memory": n_mem,
        "epistemic_correct": epi_c, "epistemic_wrong": epi_w,
        "epistemic_ratio_wrong_correct": _ratio(epi_w, epi_c),
        "silent_fraction": float((~spoke).mean()),
        "epistemic_ratio_spiking": _ratio(_mean(u.epistemic, ~ok & spoke), _mean(u.epistemic, ok & spoke)),
        "aleatoric_correct": _mean(u.aleatoric, ok), "aleatoric_wrong": _mean(u.aleatoric, ~ok),
        "min_aleatoric": float(u.aleatoric.min()), "min_epistemic": float(u.epistemic.min()),
        "windows_mean": float(res["windows"].mean()),
        "windows_histogram": np.bincount(res["windows"], minlength=model.cfg.max_windows + 1)[1:].tolist(),
    }


def train_beamnet(cfg: BeamnetConfig, data: Split, out: Path,
                  on_batch: Callable[[int, float], None],
                  on_epoch: Callable[[int, float], None],
                  save_best: Callable[[BeamNet, int, float], None],
                  device: torch.device | str = "cpu") -> tuple[BeamNet, list[dict]]:
    """Train on ``device`` (patterns are stored on the CPU first); returns the model (last
    epoch) and the per-epoch history."""
    if cfg.augment_shift:
        _image_side(data.x_train.shape[1])      # fail before k-means, not at the first batch
    x_tr, x_va = encoder_intensity(data.x_train, cfg), encoder_intensity(data.x_val, cfg)
    model = BeamNet(cfg, x_tr.shape[1], data.n_classes)
    model.init_from_data(x_tr, data.y_train, cfg.seed)
    warn_weight_resolution(model)
    model.to(device)
    trained = [model.readout] + ([model.weight] if cfg.train_weights else [])
    opt = torch.optim.Adam(trained, lr=cfg.lr)
    rng = np.random.default_rng(cfg.seed)
    keys_va = sample_keys("val", len(x_va))
    history: list[dict] = []
    best = -1.0
    key = 0
    averaged: list = [None]         # running mean of the trained tensors (weight_average_epochs)
    right = np.zeros(len(x_tr))     # epochs in which the race picked each sample's label (rank loss)
    t0 = time.perf_counter()
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        kl_w = cfg.kl_weight * min(1.0, epoch / max(cfg.kl_anneal_epochs, 1))
        perm = rng.permutation(len(x_tr))
        loss_sum = correct = 0.0
        for i in range(0, len(perm), cfg.batch_size):
            idx = perm[i:i + cfg.batch_size]
            xb = (x_tr[idx] if cfg.augment_shift == 0 else
                  encoder_intensity(shift_images(data.x_train[idx], cfg.augment_shift, rng), cfg))
            if cfg.input_dropout > 0:   # silence a random share of the input spikes
                xb = np.where(rng.random(xb.shape) < cfg.input_dropout, 0.0, xb).astype(xb.dtype)
            out_w = model(xb, sample_keys("train", len(idx), key))
            key += len(idx)
            loss = evidential_loss(out_w.alpha, data.y_train[idx], kl_w)
            if cfg.train_weights and cfg.weight_objective == "race":
                if cfg.race_objective == "evidential":
                    loss = loss + race_evidential_loss(out_w.race, model.pattern_class,
                                                       data.y_train[idx], data.n_classes,
                                                       cfg.race_temperature, kl_w)
                else:
                    loss = loss + race_loss(out_w.race, model.pattern_class, data.y_train[idx],
                                            data.n_classes, cfg.race_temperature,
                                            cfg.race_label_smoothing)
                if cfg.race_rank_weight > 0:
                    scores = race_scores(out_w.race, model.pattern_class, data.n_classes,
                                         cfg.race_temperature)
                    if epoch > 1:
                        loss = loss + cfg.race_rank_weight * rank_loss(
                            scores, right[idx] / (epoch - 1))
                    right[idx] += (scores.detach().argmax(1).cpu().numpy() == data.y_train[idx])
            if cfg.rate_weight > 0:
                rate = out_w.spikes.mean()
                loss = loss + cfg.rate_weight * (rate - cfg.rate_target) ** 2
            opt.zero_grad()
            loss.backward()
            opt.step()
            if not torch.isfinite(loss):
                from beamnet_lava.errors import BeamnetError
                raise BeamnetError(f"training diverged at epoch {epoch}; lower --lr")
            loss_sum += float(loss.detach()) * len(idx)
            correct += float((out_w.alpha.argmax(1).cpu().numpy() == data.y_train[idx]).sum())
            on_batch(epoch, loss_sum / (i + len(idx)))
        live = average_in(averaged, trained, epoch, cfg)
        res = run_model(model, x_va, keys_va, bidirectional=False)
        val = summarize(model, res, data.y_val)
        history.append({"epoch": epoch, "loss": loss_sum / len(perm), "train_accuracy": correct / len(perm),
                        "val_accuracy": val["accuracy"], "val_active_fraction": val["active_fraction"],
                        "seconds": time.perf_counter() - t0})
        on_epoch(epoch, val["accuracy"])
        if val["accuracy"] > best and (live is not None or not cfg.weight_average_epochs):
            best = val["accuracy"]
            save_best(model, epoch, best)
        if live is not None:        # training goes on from the epoch's own weights
            with torch.no_grad():
                for p, w in zip(trained, live):
                    p.copy_(w)
    return model, history


def average_in(averaged: list, trained: list[torch.Tensor], epoch: int,
               cfg: BeamnetConfig) -> list[torch.Tensor] | None:
    """Stochastic weight averaging (Izmailov et al. 2018) over the last ``weight_average_epochs``
    epochs: fold this epoch's weights into the running mean ``averaged[0]`` and put the mean in
    the model (validated and kept as the best checkpoint instead of the epoch's own weights).
    Returns the epoch's own weights to train on from, or None outside the averaging epochs."""
    k = cfg.weight_average_epochs
    if not k or epoch <= cfg.epochs - k:
        return None
    live = [p.detach().clone() for p in trained]
    n = epoch - (cfg.epochs - k)
    averaged[0] = live if n == 1 else [a + (w - a) / n for a, w in zip(averaged[0], live)]
    with torch.no_grad():
        for p, a in zip(trained, averaged[0]):
            p.copy_(a)
    return live


def evaluate_run(model: BeamNet, data: Split, out: Path) -> dict[str, Any]:
    """Fit eta on validation, then report test metrics (loop on and off) and save figures."""
    cfg = model.cfg
    x_va, x_te = encoder_intensity(data.x_val, cfg), encoder_intensity(data.x_test, cfg)
    res_va = run_model(model, x_va, sample_keys("val", len(x_va)), bidirectional=False)
    raw_eta = float(model.eta)
    trained_readout = model.readout.detach().double().numpy().copy()
    temperature = 1.0
    if cfg.fit_eta:   # spike counts do not depend on the readout: refit it on validation counts
        temperature, eta = fit_calibration(res_va["counts"], trained_readout, data.y_val,
                                           cfg.alpha_0, cfg.fit_temperature)
        with torch.no_grad():   # the temperature is folded into the logits, so exports carry it
            model.readout.div_(temperature)
            model.eta.fill_(eta)
    keys_te = sample_keys("test", len(x_te))
    res_off = run_model(model, x_te, keys_te, bidirectional=False)
    fitted = ("eta and readout temperature" if cfg.fit_temperature else "eta") if cfg.fit_eta else None
    metrics: dict[str, Any] = {"eta_train": raw_eta, "eta": float(model.eta),
                               "readout_temperature": temperature,
                               "eta_fitted_on": "validation split" if cfg.fit_eta else None,
                               "fitted_on_validation": fitted}
    off = summarize(model, res_off, data.y_test)
    raw_prob = _prob(res_off["counts"] @ _softplus(trained_readout).T, cfg.alpha_0, raw_eta)
    off["ece_raw_eta"] = ece(raw_prob, data.y_test)
    metrics["single_window"] = off
    final, res = off, res_off
    if cfg.max_windows > 1:
        res_on = run_model(model, x_te, keys_te, bidirectional=True)
        metrics["bidirectional"] = summarize(model, res_on, data.y_test)
        if cfg.bidirectional:
            final, res = metrics["bidirectional"], res_on
    metrics.update({k: final[k] for k in ("accuracy", "ece", "nll", "active_fraction",
                                          "active_fraction_per_step", "epistemic_ratio_wrong_correct")})
    metrics["test_accuracy"] = final["accuracy"]
    u = dirichlet_uncertainty(res["alpha"])
    reliability_diagram(u.prob, data.y_test, out / "reliability.png",
                        f"BEAM-Net, {data.name} test (eta fitted on val)" if cfg.fit_eta else "BEAM-Net")
    return metrics


def train_hook(cfg: BeamnetConfig, data: Split, out: Path, on_batch: Callable[[int, float], None],
               on_epoch: Callable[[int, float], None], device: torch.device | str = "cpu",
               ) -> tuple[dict[str, Any], list[dict]]:
    """The registry's ``train``: :func:`train_beamnet`, keeping the best epoch in ``out``."""
    _, history = train_beamnet(cfg, data, out, on_batch, on_epoch, checkpoint.saver(out, cfg),
                               device)
    return {}, history


def fit_probe_temperature(model: BeamNet, data: Split) -> float:
    """The probe read-out's temperature (``metrics.uncertainty.temper``) minimising NLL on the
    validation split: the probe window and the inference window (the loop as configured) on
    every validation sample, read out as ``uncertainty: probe`` does (with the fitted eta).
    The same one-scalar calibration budget the baselines' temperature scaling has."""
    x = encoder_intensity(data.x_val, model.cfg)
    res = run_model(model, x, sample_keys("val", len(x)), model.cfg.bidirectional, probe=True)
    return fit_temper(model.probe_uncertainty(res["alpha"], res["counts"], res["probe_spikes"]), data.y_val)


def calibrate(run: checkpoint.LoadedRun, data: Split) -> dict[str, Any]:
    """Fit eta (Eq. 12) on validation (:func:`evaluate_run`) and keep it in the checkpoint:
    the validation-fitted eta is part of the model. The probe read-out's temperature is
    fitted on validation too (:func:`fit_probe_temperature`, whichever read-out the run is
    configured with: ``evaluate --uncertainty probe`` reads any run) and kept in the
    checkpoint's calibration."""
    metrics = evaluate_run(run.model, data, run.run_dir)
    t = fit_probe_temperature(run.model, data)
    metrics["probe_temperature"] = t
    checkpoint.save_checkpoint(run.run_dir / checkpoint.CHECKPOINT, run.model, run.config,
                               run.epoch, run.val_accuracy, calibration={"probe_temperature": t})
    return metrics


def train_memory(cfg: BeamnetConfig, n_samples: int, n_inputs: int, n_classes: int) -> tuple[float, str]:
    """BEAM-Net: the images, w, c_j, delays and R with Adam moments, a batch through the memory
    layer (float64 state kept for autograd), a split's (n, N, T) spikes."""
    T, b = int(cfg.time_steps), int(cfg.batch_size)
    data = n_samples * n_inputs * F32
    n = int(cfg.n_memory)
    d = n_inputs * (cfg.pop_size if cfg.encoding == "population" else 1)
    params = n * d * (ADAM * F32 + F32 + F64) + ADAM * F32 * n * n_classes   # w, c_j, delays, R
    steps = max(b, 256) * n * T * F64 * STEP_STATE      # a batch through the memory layer
    return (data + params + steps + n_samples * n * T * F64,   # + a split's (n, N, T) spikes
            "lower --set n_memory=..., --time-steps or --batch-size")


# this module's hooks, attached by the registry (families.registry.load) through training/__init__.py's providers()
PROVIDES = [
    provide("train", train_hook, "beamnet"),
    provide("calibrate", calibrate, "beamnet"),
    provide("train_memory", train_memory, "beamnet"),
]
