"""``beamnet-lava inspect``: how a NetX file (any family) would map onto Loihi 2.

Reads the file's ``/layer/<i>`` groups leniently (a violation is reported, not
raised) and states, per layer, neurons, non-zero synapses, fan-in / fan-out,
weight range and the weight bits lava's own ``optimize_weight_bits`` would use,
delay range, state and message bits; per process where it would run under
``Loihi2HwCfg`` (``chip``: stock process with a public Loihi 2 model; ``host``:
Python-only, runs on the host CPU; ``microcode``: custom neuron that needs
INRC-only microcode, else falls back to the host); hard-limit violations with
their fix; and the neuro-cores per layer from the per-core resource model
(:mod:`beamnet_lava.deploy.cores`), labelled as an estimate with its assumptions.

Everything family-specific is in :data:`NEURONS` (one row per neuron type) and each
family's ``fit_profile`` hook (registered here, with the refusals of the
families that have no exported file).
Every hardware number comes from :mod:`beamnet_lava.deploy.limits`.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from beamnet_lava import budget
from beamnet_lava.deploy import cores as core_model
from beamnet_lava.deploy.limits import LIMITS, limit, table
from beamnet_lava.errors import BeamnetError
from beamnet_lava.families import family_of_file
from beamnet_lava.families.registry import Feature, provide
from beamnet_lava.families.contracts import FitProfileHook
from beamnet_lava.netx_export.netx_file import AFFINE, AFFINE_FIX, root_attrs
from beamnet_lava.neurons import fixed_point

CHIP, HOST, MICROCODE = "chip", "host", "microcode"
#: The neuron column of a lava-dl dense layer without a neuron group (a current readout).
READOUT = "CURRENT_READOUT"


@dataclass(frozen=True)
class NeuronKind:
    """How one NetX neuron type maps: the Lava process that implements it and where it runs."""

    process: str
    placement: str
    state: str                  # state variables and their widths
    state_bits: int
    note: str = ""


#: NetX ``neuron/type`` -> mapping. Stock types are what lava-dl's netx loader builds
#: (lib/dl/netx/hdf5.py:144-193); the others are beamnet-lava's extension neurons.
NEURONS: dict[str, NeuronKind] = {
    "CUBA": NeuronKind("lava.proc.lif LIF (lava-dl netx CUBA)", CHIP, "u, v: 24 bits", 24),
    "LOIHI": NeuronKind("lava.proc.lif LIF (lava-dl netx LOIHI)", CHIP, "u, v: 24 bits", 24),
    "SDNN": NeuronKind("lava.proc.sdn SigmaDelta (lava-dl netx SDNN)", CHIP,
                       "sigma, act: 24 bits", 24),
    "BEAMNET_BAYES_LIF": NeuronKind(
        "beamnet_lava BayesLIF (Eq. 8-10, Prop. 3.3)", MICROCODE,
        "u, v, inhibition trace, spike trace; v clipped to 24 bits", 24,
        "custom neuron: logistic noise, adaptive threshold and all-to-all inhibition in the "
        "neuron; no public Loihi 2 noise specification, so on-chip noise cannot be assumed "
        "to match the integer noise bit for bit"),
    "BALANCED_RESONATOR": NeuronKind(
        "beamnet_lava BRF (balanced resonate-and-fire)", MICROCODE,
        "x, y, q: 32 bits (16 fractional)", 32,
        "custom neuron; its 32-bit state exceeds the 24-bit state of stock neurons, and no "
        "public document says what microcode neurons can hold"),
    "RESONATOR": NeuronKind(
        "beamnet_lava BRF (vanilla resonate-and-fire)", MICROCODE,
        "x, y: 32 bits (16 fractional)", 32,
        "custom neuron; lava's own RF process has no public Loihi 2 model either"),
    READOUT: NeuronKind(
        "lava.proc.lif LIF non-leaky integrator (lava-dl netx: a dense layer without a neuron "
        "group)", CHIP, "u, v: 24 bits", 24,
        "lava-dl's netx builds it as CUBA with iDecay 0, vDecay 4096, vThMant 1 << 17 "
        "(lib/dl/netx/hdf5.py create_dense): it never spikes; its currents are the output, read "
        "by probes"),
    "LEAKY_INTEGRATOR_READOUT": NeuronKind(
        "beamnet_lava LeakyReadout", HOST, "membrane: 32 bits", 32,
        "Python-only readout: runs on the host, fed by spikes leaving the chip"),
}

@dataclass(frozen=True)
class FitProfile:
    """What the fit report needs to know of a family (its ``fit_profile`` hook).

    ``row``: the name the report gives the family (``netx`` for CUBA SNN files, ours or
    stock lava-dl); ``processes``: the host-side (or chip) processes the family adds around
    the layers in the file; ``graded_input_bits``: message bits layer 1 receives when its
    input is graded, not binary spikes (BRF: 8-bit pixel levels, Dense num_message_bits=8).
    """

    row: str
    processes: tuple[tuple[str, str, str], ...] = ()
    graded_input_bits: int | None = None


NO_FILE = "it has no exported file to inspect, bundle or vary"   # ann, alif-rsnn: no export


_NETX = FitProfile("netx", (("spike counts -> class (argmax)", HOST, "done by the host from output spikes"),))
_BEAMNET = FitProfile("beamnet", (("DirichletReadout (Eq. 12-15)", HOST, "Python-only process (float math)"),
                                  ("top-down loop (Eq. 16-17)", HOST, "host-side re-encoding between windows")))
_STOCK = FitProfile("beamnet-stock", (("Dirichlet readout of memory spike counts (Eq. 12-15)", HOST,
                                       "host, from the spikes leaving the chip"),))
_BRF = FitProfile("brf", (), graded_input_bits=8)


@dataclass
class LayerFit:
    index: int
    kind: str
    neuron_type: str
    neurons: int
    synapses: int = 0                    # non-zero weights (feed-forward + recurrent)
    recurrent_synapses: int = 0
    fan_in_max: int = 0                  # non-zero synapses onto one neuron of this layer
    fan_in_mean: float = 0.0
    fan_out_max: int = 0                 # non-zero synapses from one presynaptic neuron
    fan_out_mean: float = 0.0
    weight_min: int | None = None        # mantissas (weight >> weight_exp)
    weight_max: int | None = None
    weight_exp: int = 0
    loihi2_weight_bits: int | None = None    # lava.utils.weightutils.optimize_weight_bits
    delay_min: int | None = None
    delay_max: int | None = None
    message_bits: int = 1                # of what this layer receives (1 = binary spikes)
    state: str = ""
    state_bits: int | None = None
    cores_estimate: int = 0


@dataclass
class Placement:
    process: str
    placement: str
    why: str
    layer: int | None = None


@dataclass
class Failure:
    where: str
    problem: str
    fix: str


@dataclass
class FitReport:
    file: str
    family: str
    target: str
    layers: list[LayerFit]
    processes: list[Placement]
    failures: list[Failure]
    warnings: list[str]
    estimate: dict[str, Any]
    verdict: str
    limits: list[dict] = field(default_factory=table)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def profile_of(f: h5py.File) -> FitProfile:
    """The file's family as the registry routes it (its ``model`` attribute; a stock lava-dl
    or NIR-imported file is the SNN family): its ``fit_profile``."""
    family = family_of_file(f.filename, root_attrs(f), "layer" in f)
    if family.has("fit_profile"):
        return family.hook("fit_profile")()
    # a file-only family without a profile of its own (lava-dl conv files, CSNN): its layers
    # are stock lava-dl layers, its output spike counts read by the host
    return FitProfile(family.name, _NETX.processes)


def _first(ds) -> object:
    """The first value of a dataset (a NetX scalar field); an empty one is a damaged file."""
    if not isinstance(ds, h5py.Dataset):
        raise BeamnetError(f"{ds.file.filename}: {ds.name} is a group, not a NetX field")
    value = np.asarray(ds[()]).reshape(-1)
    if not value.size:
        raise BeamnetError(f"{ds.file.filename}: {ds.name} is empty (a damaged file); re-export it")
    return value[0]


def _string(ds) -> str:
    value = _first(ds)
    return value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)


def _scalar(g: h5py.Group, key: str, default=None):
    """A numeric scalar of group ``g`` (``default`` when absent), or one BeamnetError."""
    if key not in g:
        return default
    v = np.asarray(_first(g[key]))
    if v.dtype.kind not in "biuf" or (v.dtype.kind == "f" and not np.isfinite(v).all()):
        raise BeamnetError(f"{g.name}/{key} must be a finite number (found {v.dtype} "
                           f"{v.reshape(-1)[:1].tolist()}); re-export the network")
    return v.item()


def _nonzero_stats(w: np.ndarray) -> tuple[int, int, float, int, float]:
    nz = w != 0
    rows, cols = nz.sum(axis=1), nz.sum(axis=0)
    return (int(nz.sum()), int(rows.max(initial=0)), float(rows.mean()) if rows.size else 0.0,
            int(cols.max(initial=0)), float(cols.mean()) if cols.size else 0.0)


def _weight_bits(mant: np.ndarray, where: str, failures: list[Failure]) -> int | None:
    """Weight bits lava would use on Loihi 2, or a Failure if the mantissas do not fit."""
    from lava.utils.weightutils import determine_sign_mode, optimize_weight_bits

    lo, hi = limit("weight_min"), limit("weight_max")
    if mant.size == 0 or not np.any(mant):
        return 0
    if mant.min() < lo or mant.max() > hi:
        failures.append(Failure(where, f"weight mantissas {mant.min()}..{mant.max()} exceed the "
                                f"8-bit range {lo}..{hi} ({LIMITS['weight_min'].source})",
                                "quantize to 8-bit mantissas plus a weight_exp (slayer's "
                                "export_hdf5 does; lava.utils.weightutils.optimize_weight_bits "
                                "finds the exponent), then re-export"))
        return None
    # num_weight_bits is computed before optimize_weight_bits' loihi2 branch, which crashes
    # ("negative shift count", utils/weightutils.py:85) when odd mixed-sign mantissas need 9
    # bits, as an snnTorch-trained NIR import does; so ask without it: the same bits
    return int(optimize_weight_bits(mant.astype(np.int64), determine_sign_mode(mant),
                                    loihi2=False).num_weight_bits)


def _neuron_checks(g: h5py.Group, where: str, failures: list[Failure]) -> None:
    """Stock CUBA parameters against the LIF's register widths."""
    for key in ("iDecay", "vDecay"):
        d = _scalar(g, key)
        if d is not None and not 0 <= d <= 1 << limit("decay_bits"):
            failures.append(Failure(where, f"{key}={d} is not a 12-bit decay 0..4096 "
                                    f"({LIMITS['decay_bits'].source})",
                                    "export decays as round(4096 * (1 - exp(-dt / tau)))"))
    vth = _scalar(g, "vThMant")
    if vth == fixed_point.SLAYER_AFFINE_VTH:
        failures.append(Failure(where, f"{AFFINE}, beyond the unsigned 17-bit threshold "
                                f"({LIMITS['vth_max'].source})", f"{AFFINE_FIX} to read spikes"))
    elif vth is not None and not 0 <= vth <= limit("vth_max"):
        failures.append(Failure(where, f"vThMant={vth} exceeds the unsigned 17-bit threshold "
                                f"({LIMITS['vth_max'].source})",
                                "lower the threshold or scale weights and threshold down together"))


#: NetX layer types lava-dl 0.6's netx loader refuses (lib/dl/netx/hdf5.py:547-561, 625-632)
#: and what to do instead.
_UNBUILT = {
    "convT": "replace the transposed convolution by a conv layer on upsampled input, or run it "
             "on the host",
    "unpool": "drop the unpooling or run that stage on the host",
    "average": "replace averaging by a dense or conv layer with equal weights and re-export",
}


def _pool_kernel(g: h5py.Group, channels: int) -> np.ndarray:
    """A slayer sum-pool layer as the depthwise conv kernel it is: (channels, 1, kH, kW) of
    its one weight value (lava-dl's netx cannot build pool layers; beamnet-lava runs them as a
    stock lava.proc.conv Conv with groups = channels)."""
    k = np.asarray(g["kernelSize"][()]).reshape(-1) if "kernelSize" in g else np.array([2])
    w = np.asarray(g["weight"][()]).reshape(-1) if "weight" in g else np.ones(1)
    return np.full((channels, 1, int(k[0]), int(k[-1])), float(w[0]) if w.size else 1.0)


def _conv_stats(g: h5py.Group, fit: LayerFit, weight: np.ndarray, shape: np.ndarray,
                prev_shape: tuple[int, ...] | None, where: str, failures: list[Failure],
                warnings: list[str], groups: int | None = None) -> None:
    """Synapses, fan-in / fan-out and weight bits of a NetX conv layer, counted on its
    unrolled connections (what each neuron receives, padding included) with torch's conv2d
    at the file's stride, padding, dilation and groups."""
    import torch

    def pair(key: str, default: int) -> tuple[int, int]:
        v = np.asarray(g[key][()]).reshape(-1) if key in g else np.array([default])
        return (int(v[0]), int(v[-1]))

    if len(shape) != 3 or weight.ndim < 4 or math.prod(weight.shape[4:]) != 1:
        failures.append(Failure(where, f"a {fit.kind} layer needs a (C, H, W) shape and an (out, "
                                f"in / groups, kH, kW) kernel; the file has shape "
                                f"{tuple(int(v) for v in shape)} and kernel {weight.shape}",
                                "re-export the network"))
        return
    stride, padding, dilation = pair("stride", 1), pair("padding", 0), pair("dilation", 1)
    groups = int(_scalar(g, "groups", 1)) if groups is None else groups
    w = weight.reshape(weight.shape[:4]).astype(np.int64)          # (out, in / groups, kH, kW)
    out_c, out_h, out_w = (int(x) for x in shape[:3])
    if prev_shape is not None and len(prev_shape) == 3:
        in_shape = prev_shape
    else:                                # the smallest input that gives this output
        in_shape = (w.shape[1] * groups,) + tuple(
            (o - 1) * s - 2 * p + d * (k - 1) + 1
            for o, s, p, d, k in zip((out_h, out_w), stride, padding, dilation, w.shape[2:]))
        warnings.append(f"{where}: conv input shape {in_shape} inferred from the output shape "
                        "(no input layer gives it)")
    if w.shape[0] != out_c or in_shape[0] != w.shape[1] * groups:
        failures.append(Failure(where, f"conv weight {w.shape} (groups {groups}) does not match "
                                f"input channels {in_shape[0]} / output channels {out_c}",
                                "re-export the network"))
        return
    budget.check(8.0 * (3 * math.prod(in_shape) + 2 * out_c * out_h * out_w + w.size),
                 f"{where}: counting the {fit.kind} layer's unrolled synapses",
                 "its declared shape is implausibly large: check the file")
    mask = torch.from_numpy((w[:, :, ::-1, ::-1] != 0).astype(np.float64).copy())  # netx flips
    x = torch.ones((1,) + tuple(in_shape), dtype=torch.float64, requires_grad=True)
    fan_in = torch.nn.functional.conv2d(x, mask, stride=stride, padding=padding,
                                        dilation=dilation, groups=groups)
    if tuple(fan_in.shape[1:]) != (out_c, out_h, out_w):
        failures.append(Failure(where, f"conv of input {tuple(in_shape)} gives "
                                f"{tuple(fan_in.shape[1:])}, the file says {(out_c, out_h, out_w)}",
                                "re-export the network"))
        return
    fan_in.sum().backward()
    fan_out = x.grad
    fit.synapses = int(fan_in.sum().item())
    fit.fan_in_max, fit.fan_in_mean = int(fan_in.max().item()), float(fan_in.mean().item())
    fit.fan_out_max, fit.fan_out_mean = int(fan_out.max().item()), float(fan_out.mean().item())
    fit.weight_exp = int(_scalar(g, "weight_exp", 0))
    mant = w >> fit.weight_exp
    fit.weight_min, fit.weight_max = int(mant.min(initial=0)), int(mant.max(initial=0))
    fit.loihi2_weight_bits = _weight_bits(mant, where, failures)
    warnings.append(f"{where}: conv synapses counted unrolled ({fit.synapses} connections from "
                    f"{int(np.count_nonzero(w))} kernel weights); its cores and synaptic memory "
                    "come from the shared kernel (per-core model)")


def _array(g: h5py.Group, key: str, where: str) -> np.ndarray | None:
    """Dataset ``key`` of layer group ``g`` as a finite numeric array (None when absent), or
    one BeamnetError naming the layer."""
    if key not in g:
        return None
    ds = g[key]
    if not isinstance(ds, h5py.Dataset):
        raise BeamnetError(f"{where}: '{key}' is not a dataset; re-export the network")
    v = np.asarray(ds[()])
    if v.dtype.kind not in "biuf" or (v.dtype.kind == "f" and not np.isfinite(v).all()):
        raise BeamnetError(f"{where}: '{key}' must hold finite numbers (found dtype {v.dtype}); "
                           "re-export the network")
    if v.size and np.abs(v.astype(np.float64)).max() >= 2**31:
        raise BeamnetError(f"{where}: '{key}' holds values beyond 32-bit integers "
                           f"({np.abs(v.astype(np.float64)).max():.3g}); re-export the network")
    return v


def _shape(g: h5py.Group, where: str) -> np.ndarray | None:
    """A layer's ``shape``: 1 to 3 positive whole numbers, or one BeamnetError."""
    v = _array(g, "shape", where)
    if v is None:
        return None
    v = v.reshape(-1)
    if not 1 <= v.size <= 3 or (v < 1).any() or (v != np.round(v)).any() or (v > 2**31).any():
        raise BeamnetError(f"{where}: shape {v.tolist()} must be 1 to 3 positive whole numbers; "
                           "re-export the network")
    return v.astype(np.int64)


def _layer(g: h5py.Group, index: int, prev: int | None, prev_shape: tuple[int, ...] | None,
           failures: list[Failure], warnings: list[str]) -> LayerFit:
    where = f"layer {index}"
    if not isinstance(g, h5py.Group):
        raise BeamnetError(f"{where} is not a group of datasets; re-export the network")
    kind = _string(g["type"]) if "type" in g else "?"
    shape = _shape(g, where)
    ntype = (_string(g["neuron/type"]) if "neuron/type" in g else "none" if kind == "input"
             else READOUT if kind == "dense" and "neuron" not in g else "?")
    weight = _array(g, "weight", where)
    if kind == "flatten":               # a reshape between layers: no neurons, no synapses
        return LayerFit(index, kind, "none", 0)
    neurons = int(np.prod(shape)) if shape is not None else (weight.shape[0] if weight is not None
                                                              and weight.ndim else 0)
    if neurons < 1:
        raise BeamnetError(f"{where} ({kind}) has no neurons: give it a shape or a weight; "
                           "re-export the network")
    fit = LayerFit(index, kind, ntype, neurons)
    if kind in _UNBUILT:
        failures.append(Failure(where, f"lava-dl netx cannot build '{kind}' layers (lib/dl/netx/"
                                f"hdf5.py: create_{kind} raises NotImplementedError), so no Lava "
                                "process exists for it", _UNBUILT[kind]))
    elif kind not in ("input", "dense", "dense_rec", "conv", "pool"):
        warnings.append(f"{where} is a '{kind}' layer: neurons counted from its shape, synapse "
                        "statistics not computed (this inspector reads input, dense and conv layers)")
    kindinfo = NEURONS.get(ntype)
    if kindinfo is not None:
        fit.state, fit.state_bits = kindinfo.state, kindinfo.state_bits
    elif not (kind == "input" and ntype == "none"):
        failures.append(Failure(where, f"neuron type '{ntype}' has no known Loihi 2 model and is "
                                "not a beamnet-lava neuron", "use CUBA/LOIHI (lava LIF) or "
                                "SDNN neurons, or write the neuron's microcode"))
    if "neuron" in g:
        _neuron_checks(g["neuron"], where, failures)
    if weight is not None and kind == "conv" and shape is not None:
        _conv_stats(g, fit, weight, shape, prev_shape, where, failures, warnings)
    if kind == "pool" and shape is not None and len(shape) == 3:
        _conv_stats(g, fit, _pool_kernel(g, int(shape[0])), shape, prev_shape, where, failures,
                    warnings, groups=int(shape[0]))
    if weight is not None and kind in ("dense", "dense_rec") and (not neurons or weight.size % neurons):
        failures.append(Failure(where, f"weight of shape {weight.shape} does not split over the "
                                f"layer's {neurons} neurons", "re-export the network"))
    elif weight is not None and kind in ("dense", "dense_rec"):
        w = weight.astype(np.int64).reshape(neurons, -1)
        if prev is not None and w.shape[1] != prev:
            failures.append(Failure(where, f"weight expects {w.shape[1]} inputs, the layer below "
                                    f"has {prev} neurons", "re-export the network"))
        fit.weight_exp = int(_scalar(g, "weight_exp", 0))
        mats = [w]
        if "weight_rec" in g:
            w_rec = _array(g, "weight_rec", where)
            if w_rec.size != neurons * neurons:
                raise BeamnetError(f"{where}: weight_rec of shape {w_rec.shape} is not "
                                   f"{neurons} x {neurons}; re-export the network")
            w_rec = w_rec.astype(np.int64).reshape(neurons, neurons)
            mats.append(w_rec)
            fit.recurrent_synapses = int(np.count_nonzero(w_rec))
        ff = _nonzero_stats(w)
        rows = sum((m != 0).sum(axis=1) for m in mats)
        fit.synapses = ff[0] + fit.recurrent_synapses
        fit.fan_in_max, fit.fan_in_mean = int(rows.max(initial=0)), float(rows.mean())
        fit.fan_out_max, fit.fan_out_mean = ff[3], ff[4]
        exps = [fit.weight_exp, int(_scalar(g, "weight_rec_exp", 0))]
        mants = [m >> e for m, e in zip(mats, exps)]
        fit.weight_min = int(min(m.min(initial=0) for m in mants))
        fit.weight_max = int(max(m.max(initial=0) for m in mants))
        bits = [_weight_bits(m, where, failures) for m in mants]
        fit.loihi2_weight_bits = None if None in bits else max(bits)
        if "delay" in g:
            d = np.asarray(g["delay"][()]).astype(np.int64)
            fit.delay_min, fit.delay_max = int(d.min(initial=0)), int(d.max(initial=0))
            if fit.delay_min < 0 or fit.delay_max > limit("max_delay"):
                failures.append(Failure(where, f"delays {fit.delay_min}..{fit.delay_max} are "
                                        f"outside 0..{limit('max_delay')}; NetX would clamp them "
                                        f"with only a warning ({LIMITS['max_delay'].source})",
                                        f"retrain with delays <= {limit('max_delay')} (BEAM-Net: "
                                        f"--set dt_max={limit('max_delay')}) and re-export"))
        if "bias" in g:
            b = np.asarray(g["bias"][()]).astype(np.int64)
            if b.size and (b.min() < limit("bias_min") or b.max() > limit("bias_max")):
                failures.append(Failure(where, f"bias {b.min()}..{b.max()} exceeds the signed "
                                        f"13-bit mantissa ({LIMITS['bias_max'].source})",
                                        "scale the bias down (bias_exp) or train without bias"))
    return fit


def _twos_complement_bits(w: np.ndarray) -> int:
    """Bits of the kernel's values after their common power of two (conv kernels reach the
    chip unscaled: lava-dl's netx passes them with 8 weight bits, hdf5.py create_conv)."""
    w = w.astype(np.int64)
    nz = w[w != 0]
    if not nz.size:
        return 1
    shift = int(min((int(v) & -int(v)).bit_length() - 1 for v in np.unique(np.abs(nz))))
    lo, hi = int(nz.min()) >> shift, int(nz.max()) >> shift
    return max((lo ^ (lo >> 63)).bit_length(), (hi ^ (hi >> 63)).bit_length()) + 1


def _spec(g: h5py.Group, fit: LayerFit, prev: int | None) -> core_model.LayerSpec | None:
    """What the core model needs of an on-chip layer (``None``: the layer takes no cores)."""
    shape = tuple(int(v) for v in np.asarray(g["shape"][()]).reshape(-1)) if "shape" in g else (fit.neurons,)
    shape = shape if math.prod(shape) == fit.neurons else (fit.neurons,)
    if fit.kind in ("dense", "dense_rec"):
        size = int(np.prod(g["weight"].shape)) if "weight" in g else 0
        inputs = size // fit.neurons if size and size % fit.neurons == 0 else (prev or 0)
        inputs += fit.neurons if fit.recurrent_synapses or "weight_rec" in g else 0
        delay_bits = int(fit.delay_max).bit_length() if fit.delay_max else 0
        return core_model.LayerSpec(fit.index, fit.kind, (fit.neurons,), inputs,
                                    max(1, fit.loihi2_weight_bits or 8), delay_bits)
    if fit.kind == "conv" and "weight" in g and g["weight"].ndim >= 4 and len(shape) == 3:
        w = np.asarray(g["weight"][()])
        kernel = tuple(int(v) for v in w.shape[:4])
        return core_model.LayerSpec(fit.index, fit.kind, shape, 0, _twos_complement_bits(w), 0, kernel)
    if fit.kind == "pool" and len(shape) == 3:
        w = _pool_kernel(g, shape[0])
        return core_model.LayerSpec(fit.index, fit.kind, shape, 0, _twos_complement_bits(w), 0,
                                    tuple(int(v) for v in w.shape))
    return core_model.LayerSpec(fit.index, fit.kind, shape)


def _message_bits(fits: list[LayerFit], profile: FitProfile) -> None:
    """Bits of what each layer receives: binary spikes, or graded payloads."""
    for fit in fits:
        if profile.graded_input_bits and fit.index == 1:
            fit.message_bits = profile.graded_input_bits
        elif fit.index > 0 and fits[fit.index - 1].neuron_type == "SDNN":
            fit.message_bits = limit("graded_bits")


def _placements(fits: list[LayerFit], profile: FitProfile) -> list[Placement]:
    out = [Placement("input source (lava.proc.io / memory-mapped spikes) + PyToNxAdapter", HOST,
                     "host process; spikes cross onto the chip through lava-loihi's "
                     "embedded I/O adapter (lava.proc.embedded_io.spike)")]
    for fit in fits:
        if fit.kind == "conv":
            out.append(Placement(f"Conv synapses -> layer {fit.index}", CHIP,
                                 "stock lava.proc.conv Conv: public Loihi 2 model", fit.index))
        if fit.kind == "pool":
            out.append(Placement(f"Conv synapses (pool as a depthwise kernel) -> layer {fit.index}",
                                 CHIP, "stock lava.proc.conv Conv with groups = channels (lava-dl "
                                 "0.6's netx cannot build pool layers: hdf5.py create_pool raises "
                                 "NotImplementedError)", fit.index))
        if fit.kind in ("dense", "dense_rec"):
            syn = "DelayDense" if fit.delay_max else "Dense"
            out.append(Placement(f"{syn} synapses -> layer {fit.index}", CHIP,
                                 f"stock lava.proc.dense {syn}: public Loihi 2 model", fit.index))
            if fit.recurrent_synapses:
                out.append(Placement(f"recurrent Dense of layer {fit.index}", CHIP,
                                     "stock lava.proc.dense Dense", fit.index))
        kind = NEURONS.get(fit.neuron_type)
        if kind is not None:
            out.append(Placement(f"{kind.process}, layer {fit.index}", kind.placement,
                                 kind.note or "stock neuron: public Loihi 2 model", fit.index))
        elif fit.kind not in ("input", "flatten") or fit.neuron_type != "none":
            out.append(Placement(f"unknown neuron '{fit.neuron_type}', layer {fit.index}", HOST,
                                 "no Loihi 2 model known", fit.index))
    out.append(Placement("NxToPyAdapter + output sink", HOST,
                         "output spikes leave the chip through lava-loihi's embedded I/O"))
    out += [Placement(name, where, why) for name, where, why in profile.processes]
    return out


def _estimate(fits: list[LayerFit], placements: list[Placement],
              specs: dict[int, core_model.LayerSpec], skip_layers: int,
              failures: list[Failure], compiler: str) -> dict[str, Any]:
    """Neuro-cores per on-chip layer from the per-core resource model, and the chip count."""
    syn_mem = "syn_mem_words" if compiler == "2022" else "syn_mem_words_2024"
    on_chip = {p.layer for p in placements if p.layer is not None and p.placement in (CHIP, MICROCODE)
               and "synapses" not in p.process and "recurrent" not in p.process}
    per_core = []
    for fit in fits:
        spec = specs.get(fit.index)
        if fit.index < skip_layers or fit.index not in on_chip or spec is None or not fit.neurons:
            continue
        lc = core_model.layer_cores(spec, compiler)
        fit.cores_estimate = lc.cores
        per_core.append(asdict(lc))
        if not lc.fits:
            failures.append(Failure(f"layer {fit.index}", f"does not fit one core: {lc.splits[-1]} "
                                    f"({LIMITS[syn_mem].source})",
                                    "reduce the layer's fan-in (inputs per neuron) or its weight "
                                    "bits, or split its input across layers"))
    cores = sum(fit.cores_estimate for fit in fits)
    if compiler == "2022":
        policy = ["per-core capacities read off Intel's compiler output in lava-dl's notebooks "
                  "(SynMem 12000 words, 4096 neurons, 8 neuron groups) or inferred from it "
                  "(synapse encoding, 32 SynMem words per axon list, conv tiles); every constant "
                  "and its source: beamnet_lava/deploy/limits.py and docs/loihi2.md",
                  "one layer per core group, its neurons split evenly; the count grows by the "
                  "worst resource's overflow ratio, as Intel's compiler log shows"]
    else:
        policy = [f"capacities of the 2024 compiler inferred from its percentages in lava-dl's "
                  f"MNIST notebook (SynMem {limit('syn_mem_words_2024')} words, Total "
                  f"{limit('core_total_2024')}), the rest as for the 2022 compiler; every "
                  "constant and its source: beamnet_lava/deploy/limits.py and docs/loihi2.md",
                  f"one layer per core group; a dense layer's cores filled up to "
                  f"{limit('syn_fill_percent_2024')} % of SynMem, the rest on the last core "
                  "(fitted to MNIST's one split, 50 of 128 neurons per core); conv tiles by "
                  "the 2022 compiler's rule (not checked against the 2024 compiler)"]
    return {"label": "ESTIMATE from a per-core resource model, not a compiler result",
            "cores": cores, "chips": core_model.chips(cores), "per_core": per_core,
            "skip_layers": skip_layers, "compiler": compiler,
            "compiler_of": core_model.COMPILERS[compiler],
            "assumptions": policy + [
                "dense synapses stored densely (zeros cost memory, as in Intel's tables); "
                "conv kernels shared by a tile of (x, y, c) neurons, their SynMem a rough estimate",
                "delays add their bits to every synapse (no published table has delays)",
                "microcode neurons (BEAM-Net, BRF) are counted as if they packed like stock LIF "
                "neurons; host processes (I/O, readouts) use no neuro-cores",
                f"{limit('cores_per_chip')} cores per chip ({LIMITS['cores_per_chip'].source})",
                "untested on hardware: validated only against Intel's published compiler output "
                "for four lava-dl networks (docs/loihi2.md)",
            ]}


def _verdict(failures: list[Failure], placements: list[Placement]) -> str:
    if failures:
        return "does not fit: fix the hard failures below"
    micro = [p.process for p in placements if p.placement == MICROCODE]
    if micro:
        return ("needs INRC microcode for " + "; ".join(micro) + " (without it Loihi2HwCfg "
                "falls back to Python models on the host); for stock processes only, export "
                "the stock variant")
    return "fits stock Loihi 2 processes (core count is an estimate; untested on hardware)"


def inspect_file(path: str | Path, target: str = "loihi2", skip_layers: int = 0,
                 compiler: str = core_model.DEFAULT_COMPILER) -> FitReport:
    """The Loihi 2 fit report of any beamnet-lava / lava-dl NetX file.

    ``skip_layers``: the first layers run elsewhere (on the host), as lava-dl's
    ``netx.hdf5.Network(skip_layers=...)`` leaves them out; they take no cores.
    ``compiler``: which of Intel's compilers the core model follows (``cores.COMPILERS``).
    """
    if target != "loihi2":
        raise BeamnetError(f"unknown --target {target!r}; inspect knows loihi2")
    if compiler not in core_model.COMPILERS:
        raise BeamnetError(f"unknown --compiler {compiler!r}; the core model knows "
                           f"{', '.join(core_model.COMPILERS)}")
    if skip_layers < 0:
        raise BeamnetError(f"--skip-layers {skip_layers}: must be 0 or more")
    p = Path(path)
    if not p.is_file():
        raise BeamnetError(f"{p}: no such file")
    budget.check_hdf5(p)                    # declared sizes, before any dataset is read
    try:
        f = h5py.File(p, "r")
    except OSError as exc:
        raise BeamnetError(f"{p}: not a readable HDF5 file ({exc.__class__.__name__})") from None
    failures: list[Failure] = []
    warnings: list[str] = []
    with f:
        if "layer" not in f or not len(f["layer"]):
            raise BeamnetError(f"{p}: is HDF5 but not a NetX network (no '/layer' group)")
        profile = profile_of(f)
        names = sorted(f["layer"].keys(), key=lambda s: int(s) if s.isdigit() else 1 << 30)
        fits: list[LayerFit] = []
        specs: dict[int, core_model.LayerSpec] = {}
        prev: int | None = None
        prev_shape: tuple[int, ...] | None = None
        for i, name in enumerate(names):
            g = f["layer"][name]
            try:
                fit = _layer(g, i, prev, prev_shape, failures, warnings)
            except BeamnetError as exc:
                msg = str(exc)
                raise BeamnetError(msg if msg.startswith(str(p)) else f"{p}: {msg}") from None
            fits.append(fit)
            if fit.kind != "flatten" and fit.neurons:
                specs[i] = _spec(g, fit, prev)
            if fit.kind != "flatten":            # a reshape keeps the neurons below it
                prev = fit.neurons
                shape = _shape(g, f"layer {i}")
                prev_shape = None if shape is None else tuple(int(v) for v in shape)
        _message_bits(fits, profile)
    placements = _placements(fits, profile)
    estimate = _estimate(fits, placements, specs, skip_layers, failures, compiler)
    return FitReport(str(p), profile.row, target, fits, placements, failures, warnings, estimate,
                     _verdict(failures, placements))


# this module's hook, who refuses it and why, and who provides it (attached by the registry,
# families.registry.load, through deploy/__init__.py's providers())
DECLARES = [Feature("fit_profile", "deploy", FitProfileHook, refuses={"ann": NO_FILE, "alif-rsnn": NO_FILE})]
PROVIDES = [
    provide("fit_profile", lambda: _NETX, "snn", "lavadl", "csnn"),
    provide("fit_profile", lambda: _BEAMNET, "beamnet"),
    provide("fit_profile", lambda: _STOCK, "beamnet-stock"),
    provide("fit_profile", lambda: _BRF, "brf-rsnn", "rf-rsnn"),
]
