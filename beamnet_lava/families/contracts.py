"""The stage contracts as code: one typed signature per hook, shared by the registry, the hook
implementations and docs/families.md.

Each hook is a :class:`typing.Protocol` whose ``__call__`` is the call the pipeline makes; an
implementation a stage module provides (its ``PROVIDES`` table, :mod:`~beamnet_lava.families.registry`) must accept
that call (``tests/test_families.py`` checks every registered implementation against its
Protocol with :func:`fits`). ``lava_run`` takes its options as one :class:`RunOptions`.

This module sits with the registry at the bottom of the layering (it imports nothing of ours),
so types of higher stages appear here as ``Any`` with their name in the docstring.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol

DEFAULT_TIMEOUT_S = 300.0     # the run watchdog: seconds one chunk of samples may take (= sim_cpu.runner's)


@dataclass(frozen=True)
class RunOptions:
    """What ``beamnet-lava run`` asks of a family's ``lava_run``: the samples (``dataset``,
    ``samples``, ``part``, ``data_dir``, ``seed``, ``time_steps``: None means the file's own),
    the simulation (``precision``, ``backend``, ``chunk_samples``, ``timeout_s``, ``progress``)
    and the options only some families take (``lanes``, ``bidirectional``,
    ``energy_constants``: None when not given; ``run_dataset`` refuses one given to a family
    whose record says it does not take it)."""

    dataset: str | None = None
    samples: int | None = None
    part: str = "test"
    precision: str = "fixed"
    backend: str = "cpu"
    time_steps: int | None = None
    data_dir: str | None = None
    seed: int | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    chunk_samples: int = 32
    progress: bool = True
    lanes: int | str | None = None
    bidirectional: bool | None = None
    energy_constants: str | Path | None = None
    workers: int | None = None          # shard the Lava simulation's samples (sim_cpu/shards.py)
    mapper: Any = None                  # ...computed by this mapper(fn, calls) (the CLI: Ray's)


# -- the pipeline's hooks (stage in brackets) -----------------------------------------------------

class BuildHook(Protocol):
    """[models] the untrained model (a torch.nn.Module) for ``n_in`` inputs, ``n_out`` classes."""
    def __call__(self, cfg: Any, n_in: int, n_out: int) -> Any: ...


class TrainHook(Protocol):
    """[training] train on the Split ``data``, keep checkpoint.pt in ``out``; (metrics, history)."""
    def __call__(self, cfg: Any, data: Any, out: Path, on_batch: Callable[[int, float], None],
                 on_epoch: Callable[[int, float], None], device: Any) -> tuple[dict[str, Any], list[dict]]: ...


class CalibrateHook(Protocol):
    """[training] fit the probability calibration of the trained LoadedRun ``run`` on ``data``'s
    validation part, store it in checkpoint.pt; the calibration dict."""
    def __call__(self, run: Any, data: Any) -> dict[str, Any]: ...


class TrainMemoryHook(Protocol):
    """[training] the bytes training ``cfg`` allocates for ``n_samples`` samples of ``n_inputs``
    inputs and ``n_classes`` classes, and which sizes to lower when it does not fit."""
    def __call__(self, cfg: Any, n_samples: int, n_inputs: int, n_classes: int) -> tuple[float, str]: ...


class ExportHook(Protocol):
    """[netx_export] write the LoadedRun ``run`` to ``out``; the file read back and validated."""
    def __call__(self, run: Any, out: Path, force: bool) -> Any: ...


class ReadHook(Protocol):
    """[netx_export] the validated exported file at ``path`` (has ``.describe()``)."""
    def __call__(self, path: Path) -> Any: ...


class LavaRunHook(Protocol):
    """[sim_cpu] ``beamnet-lava run`` of the file at ``path``: a RunReport."""
    def __call__(self, path: Path, options: RunOptions) -> Any: ...


class PredictHook(Protocol):
    """[evaluation] per-sample Predictions (one schema) of the LoadedRun ``run`` on ``x``, ``y``."""
    def __call__(self, run: Any, x: Any, y: Any, part: str, *, loop: bool | None,
                 temperature_: float | None, constants: dict, run_window: Any) -> Any: ...


class FilePredictorHook(Protocol):
    """[evaluation] (LoadedRun, predictor) to evaluate the exported file ``exported`` on Lava;
    ``workers`` > 1 (families with ``shards``): the Lava simulation's samples sharded over
    ``mapper`` (:mod:`beamnet_lava.sim_cpu.shards`)."""
    def __call__(self, exported: Any, *, part: str, loop: bool | None, constants: dict, precision: str,
                 backend: str, lanes: int | str | None, timeout_s: float, mapper: Any = None,
                 workers: int | None = None) -> tuple[Any, Any]: ...


class RasterHook(Protocol):
    """[evaluation] [(panel name, spikes (neurons, T))] of one sample ``x0``, or None."""
    def __call__(self, run: Any, x0: Any) -> Any: ...


# -- feature hooks (their modules register them, with who refuses them and why) --------------------

class ToNirHook(Protocol):
    """[nir] the NirGraph of the exported file at ``path``."""
    def __call__(self, path: Path, deterministic: bool) -> Any: ...


class SpikeInputsHook(Protocol):
    """[sim_cpu] the NetX network ``run --inputs`` drives with the user's own spikes."""
    def __call__(self, path: Path) -> Any: ...


class FitProfileHook(Protocol):
    """[deploy] the FitProfile: how ``inspect`` names the family, which processes it adds."""
    def __call__(self) -> Any: ...


class BundleCaseHook(Protocol):
    """[deploy] the inputs, labels, expected outputs and metadata of an INRC bundle of ``src``;
    ``inputs``/``time_steps``: the user's own inputs (.npy, as ``run --inputs``) instead of the
    dataset, and the window (None: the file's)."""
    def __call__(self, src: Path, samples: int, part: str, dataset: str | None, data_dir: str | None,
                 seed: int | None, timeout_s: float, *, inputs: Path | None,
                 time_steps: int | None) -> dict[str, Any]: ...


class Loihi2VariantHook(Protocol):
    """[deploy] the family's stock-process variant of the run ``run_dir``, written to ``out``."""
    def __call__(self, run_dir: Path, out: Path, force: bool) -> Any: ...


def describe(protocol: type) -> str:
    """``name(params) -> what``: a Protocol's call and docstring on one line (error messages, docs)."""
    sig = inspect.signature(protocol.__call__)
    params = [p.name for p in list(sig.parameters.values())[1:]]
    doc = " ".join((protocol.__doc__ or "").split())
    return f"({', '.join(params)}) -> {doc.split('] ', 1)[-1]}"


def fits(fn: Callable[..., Any], protocol: type) -> str:
    """"" when ``fn`` takes exactly the call ``protocol`` describes, else what does not fit.

    The call passes each positional parameter of the Protocol by position and each keyword-only
    one by name, so ``fn`` must bind that call, and must not declare parameters the call never
    passes (a positional one beyond the Protocol's, a keyword-only one it does not name): such a
    parameter is a contract drifted apart (``**kwargs`` is allowed)."""
    want = list(inspect.signature(protocol.__call__).parameters.values())[1:]
    try:
        have = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        return f"no signature ({exc})"
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    n_args = sum(p.kind in positional for p in want)
    keywords = {p.name for p in want if p.kind is p.KEYWORD_ONLY}
    name = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', fn)}{have}"
    call = protocol.__name__ + str(inspect.signature(protocol.__call__)).replace("(self, ", "(").replace("(self)", "()")
    try:
        have.bind(*(object() for _ in range(n_args)), **{k: object() for k in keywords})
    except TypeError as exc:
        return f"{name} does not take the call {call}: {exc}"
    extra = [p.name for p in have.parameters.values() if p.kind in positional][n_args:]
    extra += [p.name for p in have.parameters.values() if p.kind is p.KEYWORD_ONLY and p.name not in keywords]
    if extra:
        return f"{name} declares {', '.join(extra)}, which the call {call} never passes"
    return ""
