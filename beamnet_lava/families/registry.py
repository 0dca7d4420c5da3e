"""The model-family registry: one :class:`Family` record per model family, looked up by name.

Modelled on torchvision's ``register_model`` / ``get_model``: each family is declared
once (:func:`register_family`, in :mod:`beamnet_lava.families.catalog`) with what every
stage needs to know about it without importing it (its config class, its inputs, what
it can do), and each stage attaches the family's behaviour from the family's own stage
module with the :func:`implements` decorator (``@implements("beamnet", "train")``).
A verb asks the record (``family_of(cfg).hook("train")``), never ``isinstance(cfg, ...)``.

Each hook's call is typed once, as a Protocol in :mod:`beamnet_lava.families.contracts`
(``lava_run(path, options: RunOptions)``, ``calibrate(run, data)``, ...): :data:`HOOKS` holds it,
error messages and docs/families.md quote it, and ``tests/test_families.py`` checks every
registered implementation against it (:func:`~beamnet_lava.families.contracts.fits`).

This module sits low in the layering (it imports only :mod:`beamnet_lava.errors` and the
contracts), so every stage can import it; a stage only ever calls hooks of its own layer or below,
which its package imports (e.g. ``beamnet_lava/training/__init__.py`` imports the
training modules that register ``train``). Hooks kept outside the stage packages are
declared by module name in the record (``Family.providers``) and imported on first use.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, NamedTuple

from beamnet_lava.errors import BeamnetError
from beamnet_lava.families import contracts


class Hook(NamedTuple):
    """A hook: the stage that calls it, its call on one line, its typed contract (contracts.py)."""
    stage: str
    what: str
    protocol: type | None


def _hook(name: str, stage: str, protocol: type) -> Hook:
    return Hook(stage, name + contracts.describe(protocol), protocol)


# Every hook a family can provide: name -> Hook (feature modules add theirs with register_hook).
HOOKS: dict[str, Hook] = {name: _hook(name, stage, protocol) for name, stage, protocol in (
    ("build", "models", contracts.BuildHook),
    ("train", "training", contracts.TrainHook),
    ("calibrate", "training", contracts.CalibrateHook),
    ("train_memory", "training", contracts.TrainMemoryHook),
    ("export", "netx_export", contracts.ExportHook),
    ("read", "netx_export", contracts.ReadHook),
    ("lava_run", "sim_cpu", contracts.LavaRunHook),
    ("predict", "evaluation", contracts.PredictHook),
    ("file_predictor", "evaluation", contracts.FilePredictorHook),
    ("raster", "evaluation", contracts.RasterHook),
)}
# hook -> family -> why the family does not provide it, declared by the module that adds the hook
_REFUSED_BY_FEATURE: dict[str, dict[str, str]] = {}


@dataclass
class Family:
    """Everything the pipeline knows about one model family.

    Declared fields (set by :func:`register_family`):

    - ``name``: the ``--model`` value, the ``model`` key of configs and checkpoints and
      the ``model`` root attribute of its exported files.
    - ``config_class``: the typed config (:mod:`beamnet_lava.config`).
    - ``title`` / ``help``: how the CLI names and describes it.
    - ``inputs``: what ``predict`` takes: ``images`` (features in [0, 1]), ``spikes``
      (images, or the binned event raster of an event dataset, Eq. 6) or ``sequences``
      (one input per step, loaded by :func:`beamnet_lava.data.sequences.load_sequences`).
    - ``probabilities``: how its class probabilities are calibrated (printed by ``train``).
    - ``lanes`` / ``loop`` / ``run_energy_constants``: whether ``run`` accepts
      ``--lanes`` / ``--loop`` / ``--energy-constants`` for its files.
    - ``sweep_key``: the config key ``energy --sweep`` retrains over (empty: no sweep).
    - ``no_export`` / ``no_file_evaluation``: why the family has no export / no
      ``evaluate FILE`` (the one-line refusal), empty when it has them.
    - ``trained``: False for a file-only family, a variant another family exports (e.g.
      ``export --target loihi2``'s stock-process BEAM-Net): it is no ``--model`` choice and
      refuses the training hooks.

    - ``providers``: modules (dotted names) that register hooks of this family from
      outside the stage packages (the plugin pattern: e.g. ``beamnet-stock``'s hooks live
      in :mod:`beamnet_lava.deploy.stock_beamnet`). The registry imports them on the first
      lookup of a hook not registered yet, so any entry point (the CLI, a Python caller of
      ``run_dataset``) finds the hook without importing the provider by hand.

    ``hooks``: the behaviour attached by the stages (:data:`HOOKS`); ``refuses``: hook ->
    the one-line reason the family does not provide it (for hooks a feature module adds
    with :func:`register_hook`).
    """

    name: str
    config_class: type
    title: str
    help: str
    inputs: str = "images"
    probabilities: str = "temperature"
    lanes: bool = False
    loop: bool = False
    run_energy_constants: bool = False
    sweep_key: str = ""
    no_export: str = ""
    no_file_evaluation: str = ""
    trained: bool = True
    providers: tuple[str, ...] = ()
    hooks: dict[str, Callable[..., Any]] = field(default_factory=dict)
    refuses: dict[str, str] = field(default_factory=dict)

    def hook(self, name: str, subject: str | Path | None = None) -> Callable[..., Any]:
        """The family's ``name`` hook; a one-line error naming what is missing otherwise,
        after ``subject`` (the file or run asked about; default: the family's name)."""
        if name not in HOOKS:
            raise KeyError(f"unknown hook {name!r}; hooks are {', '.join(HOOKS)}")
        found = self.hooks.get(name)
        if found is None and not self.refusal(name):
            found = self._provided(name)
        if found is None:
            reason = self.refusal(name)
            raise BeamnetError(f"{subject or self.name}: {reason}" if reason else
                               f"model family {self.name} has no {name} ({HOOKS[name][1]})")
        return found

    def has(self, name: str) -> bool:
        return name in self.hooks or (not self.refusal(name) and self._provided(name) is not None)

    def _provided(self, name: str) -> Callable[..., Any] | None:
        """Import the declared ``providers`` (once each; Python caches modules) and return
        hook ``name`` if one of them registered it (a refused hook imports nothing)."""
        for module in self.providers:
            if name in self.hooks:
                break
            importlib.import_module(module)
        return self.hooks.get(name)

    def refusal(self, name: str) -> str:
        """Why the family does not provide hook ``name`` ("" when it should)."""
        if name in self.refuses:
            return self.refuses[name]
        if self.name in _REFUSED_BY_FEATURE.get(name, {}):
            return _REFUSED_BY_FEATURE[name][self.name]
        return {"export": self.no_export, "read": self.no_export, "lava_run": self.no_export,
                "file_predictor": self.no_file_evaluation or self.no_export}.get(name, "")

    def expected_hooks(self) -> tuple[str, ...]:
        """The hooks this family must provide (all of :data:`HOOKS` but those it refuses)."""
        return tuple(h for h in HOOKS if not self.refusal(h))


_FAMILIES: dict[str, Family] = {}


def register_hook(name: str, stage: str, contract: type | str,
                  refuses: Mapping[str, str] | None = None) -> None:
    """Add a hook every family must provide or refuse: how a feature module (an exporter, a
    hardware report) joins the registry without editing it. ``contract``: the hook's Protocol
    (contracts.py; a one-line description is accepted for a quick experiment); ``refuses``:
    family name -> the one-line reason it does not provide the hook, declared here, in the
    feature's own module (a family may also refuse it in its own record, ``Family.refuses``)."""
    if name in HOOKS:
        raise ValueError(f"hook {name!r} is registered twice")
    HOOKS[name] = (_hook(name, stage, contract) if isinstance(contract, type)
                   else Hook(stage, str(contract), None))
    _REFUSED_BY_FEATURE[name] = dict(refuses or {})


def register_family(family: Family) -> Family:
    """Declare a family (once); its stages then attach hooks with :func:`implements`."""
    if family.name in _FAMILIES:
        raise ValueError(f"model family {family.name!r} is registered twice")
    if family.inputs not in ("images", "spikes", "sequences"):
        raise ValueError(f"{family.name}: inputs must be images, spikes or sequences")
    if family.trained and family.name not in getattr(family.config_class, "MODELS", ()):
        raise ValueError(f"{family.name}: {family.config_class.__name__}.MODELS does not list it")
    _FAMILIES[family.name] = family
    return family


def implements(*names: str, hook: str) -> Callable[[Callable], Callable]:
    """Decorator: the function is the ``hook`` of the families ``names``."""
    if hook not in HOOKS:
        raise ValueError(f"unknown hook {hook!r}; hooks are {', '.join(HOOKS)}")

    def attach(fn: Callable) -> Callable:
        for name in names:
            fam = get_family(name)
            if hook in fam.hooks:
                raise ValueError(f"{name}: hook {hook} is registered twice")
            fam.hooks[hook] = fn
        return fn
    return attach


def names(trained_only: bool = False) -> tuple[str, ...]:
    """Every registered family name, in registration order; ``trained_only``: the
    ``--model`` choices (file-only variants left out)."""
    return tuple(n for n, f in _FAMILIES.items() if f.trained or not trained_only)


def families() -> tuple[Family, ...]:
    return tuple(_FAMILIES.values())


def get_family(name: str) -> Family:
    """The family called ``name``; an unknown name is a one-line :class:`BeamnetError`."""
    fam = _FAMILIES.get(str(name))
    if fam is None:
        raise BeamnetError(f"unknown model family {name!r}; known families: {', '.join(_FAMILIES)}")
    return fam


def family_of(cfg: Any) -> Family:
    """The family of a config (by its ``model`` field)."""
    return get_family(cfg.model)


STOCK_NETX = "snn"   # a stock lava-dl NetX file (no ``model`` attribute) is a CUBA SNN


def family_of_file(path: Any, attrs: Mapping[str, Any], stock_netx: bool) -> Family:
    """The family an exported file belongs to, from its ``model`` root attribute.

    Files without the attribute are accepted only when they are stock NetX files
    (``stock_netx``: a ``layer`` group lava-dl's loader reads), which are the SNN
    family by definition (lava-dl exports CUBA networks); anything else is refused.
    """
    model = attrs.get("model")
    if isinstance(model, bytes):
        model = model.decode()
    if model is None:
        if not stock_netx:
            raise BeamnetError(f"{path} is not a NetX file: it has no 'layer' group and no "
                               "'model' attribute naming a beamnet-lava model family")
        return get_family(STOCK_NETX)
    fam = _FAMILIES.get(str(model))
    if fam is None:
        raise BeamnetError(f"{path} names model family {model!r}, which this beamnet-lava does not "
                           f"know (known: {', '.join(_FAMILIES)})")
    return fam
