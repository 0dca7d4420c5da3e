"""The model-family registry: one :class:`Family` record per model family, looked up by name.

Modelled on torchvision's ``register_model`` / ``get_model``: each family is declared
once (:func:`register_family`, in :mod:`beamnet_lava.families.catalog`) with what every
stage needs to know about it without importing it (its config class, its inputs, what
it can do). Its behaviour lives in its own stage modules, each of which says what it gives in
one declared table, its own:

- ``PROVIDES = [provide("train", train_snn, "snn"), ...]``: the hooks it implements, for which
  families;
- ``DECLARES = [Feature("to_nir", "nir", ToNirHook, refuses={...})]``: for a feature module, the
  hook it adds, with its typed contract and the one-line refusal of each family without it.

Each stage package names those modules in its ``__init__.py`` (``def providers(): from
beamnet_lava.models import ann, ...; return ann, ...``, and ``declares()`` for its feature
modules: real imports, made only when the registry asks), and :func:`load` is the one place that
attaches them: the first lookup of a hook (``family_of(cfg).hook("train")``) loads the stage(s)
the hook names (:data:`HOOKS`; :data:`STAGES` is the layering of pyproject.toml). Importing a module registers nothing; which module gives which
hook is read from the tables, and a lookup finds its hook whatever was imported before (the CLI,
or a Python caller of ``run_dataset`` alike). A verb asks the record, never ``isinstance(cfg, ...)``.

Each hook's call is typed once, as a Protocol in :mod:`beamnet_lava.families.contracts`
(``lava_run(path, options: RunOptions)``, ``calibrate(run, data)``, ...): :data:`HOOKS` holds it,
error messages and docs/families.md quote it, and ``tests/test_families.py`` checks every
registered implementation against it (:func:`~beamnet_lava.families.contracts.fits`).

This module sits low in the layering (it imports only :mod:`beamnet_lava.errors` and the
contracts), so every stage can import it; it reaches the stage packages above it only by their
stage names, in :func:`load`.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, NamedTuple

from beamnet_lava.errors import BeamnetError
from beamnet_lava.families import contracts


class Hook(NamedTuple):
    """A hook: the stage whose modules provide it (a tuple: several), its call on one line, its
    typed contract (contracts.py)."""
    stage: str | tuple[str, ...]
    what: str
    protocol: type | None


def _hook(name: str, stage: str | tuple[str, ...], protocol: type) -> Hook:
    return Hook(stage, name + contracts.describe(protocol), protocol)


# Every hook a family can provide: name -> Hook (feature modules add theirs: DECLARES, Feature).
# The stage is the package whose providers() hold the implementations (a tuple: several).
HOOKS: dict[str, Hook] = {name: _hook(name, stage, protocol) for name, stage, protocol in (
    ("build", "models", contracts.BuildHook),
    ("train", "training", contracts.TrainHook),
    ("calibrate", ("training", "evaluation"), contracts.CalibrateHook),   # beamnet's | the others'
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

# The stage packages that provide hooks, bottom to top (pyproject.toml's layers): each names its
# provider modules in ``providers()`` (their ``PROVIDES``) and, if it adds hooks, its feature
# modules in ``declares()`` (their ``DECLARES``); :func:`load` attaches them.
STAGES = ("models", "training", "netx_export", "nir", "sim_cpu", "evaluation", "deploy")
_LOADED: set[str] = set()      # stages whose PROVIDES rows are attached
_DECLARED: set[str] = set()    # stages whose DECLARES rows are registered


class Provision(NamedTuple):
    """One row of a module's ``PROVIDES`` table: ``fn`` is the ``hook`` of ``families``."""
    hook: str
    fn: Callable[..., Any]
    families: tuple[str, ...]


def provide(hook: str, fn: Callable[..., Any], *families: str) -> Provision:
    """``PROVIDES`` row: ``fn`` is the ``hook`` of the ``families`` named."""
    return Provision(hook, fn, families)


class Feature(NamedTuple):
    """One row of a feature module's ``DECLARES`` table: a hook every family must provide or refuse
    (``refuses``: family -> the one-line reason it does not provide it)."""
    name: str
    stage: str
    contract: type | str
    refuses: Mapping[str, str] = {}


def _declare(stage: str) -> bool:
    """Register the hooks ``stage`` adds: the ``DECLARES`` of the modules its ``declares()`` names
    (light feature modules; a stage without features has none). False while the package is
    still being imported (a lookup made during its own import: left for later)."""
    if stage in _DECLARED:
        return True
    package = importlib.import_module(f"beamnet_lava.{stage}")
    if getattr(package, "providers", None) is None:
        return False
    _DECLARED.add(stage)
    for module in getattr(package, "declares", tuple)():
        for feature in module.DECLARES:
            register_hook(*feature)
    return True


def load(*stages: str) -> None:
    """Attach the hooks of ``stages`` (none given: every stage of :data:`STAGES`), once each.

    The one place hooks are registered: for each stage package, the hooks it declares (its
    ``declares()`` modules' ``DECLARES``), then the ``PROVIDES`` rows of the modules its
    ``providers()`` names. A lookup loads only the stage(s) of its hook (:func:`_load_for`).
    """
    for name in stages or STAGES:
        if name in _LOADED or not _declare(name):
            continue
        _LOADED.add(name)
        rows = [row for module in importlib.import_module(f"beamnet_lava.{name}").providers()
                for row in getattr(module, "PROVIDES", ())]
        if any(row.hook not in HOOKS for row in rows):    # a hook another stage adds
            for other in STAGES:
                _declare(other)
        for row in rows:
            implements(*row.families, hook=row.hook)(row.fn)


def _load_for(name: str) -> None:
    """Load the stage(s) whose modules provide hook ``name``; a hook not declared yet is looked
    for in every stage's declarations first (feature modules only, not the whole stage)."""
    if name not in HOOKS:
        for stage in STAGES:
            _declare(stage)
    if name in HOOKS:
        stage = HOOKS[name].stage
        load(*[s for s in ((stage,) if isinstance(stage, str) else stage) if s in STAGES])


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
    - ``shards``: whether ``run`` shards a dataset run's Lava simulation (``--workers``,
      :mod:`beamnet_lava.sim_cpu.shards`).
    - ``lanes`` / ``loop`` / ``run_energy_constants``: whether ``run`` accepts
      ``--lanes`` / ``--loop`` / ``--energy-constants`` for its files.
    - ``sweep_key``: the config key ``energy --sweep`` retrains over (empty: no sweep).
    - ``no_export`` / ``no_file_evaluation``: why the family has no export / no
      ``evaluate FILE`` (the one-line refusal), empty when it has them.
    - ``trained``: False for a file-only family, a variant another family exports (e.g.
      ``export --target loihi2``'s stock-process BEAM-Net): it is no ``--model`` choice and
      refuses the training hooks.

    ``hooks``: the behaviour attached by the stages (:func:`load`; read it through :meth:`hook`
    and :meth:`has`, which load first); ``refuses``: hook -> the one-line reason the family does
    not provide it, the family's own refusals (a feature module declares the refusals of its
    hook in its ``DECLARES``).
    """

    name: str
    config_class: type
    title: str
    help: str
    inputs: str = "images"
    probabilities: str = "temperature"
    lanes: bool = False
    shards: bool = False
    loop: bool = False
    run_energy_constants: bool = False
    sweep_key: str = ""
    no_export: str = ""
    no_file_evaluation: str = ""
    trained: bool = True
    hooks: dict[str, Callable[..., Any]] = field(default_factory=dict)
    refuses: dict[str, str] = field(default_factory=dict)

    def hook(self, name: str, subject: str | Path | None = None) -> Callable[..., Any]:
        """The family's ``name`` hook; a one-line error naming what is missing otherwise,
        after ``subject`` (the file or run asked about; default: the family's name)."""
        _load_for(name)
        if name not in HOOKS:
            raise KeyError(f"unknown hook {name!r}; hooks are {', '.join(HOOKS)}")
        found = self.hooks.get(name)
        if found is None:
            reason = self.refusal(name)
            raise BeamnetError(f"{subject or self.name}: {reason}" if reason else
                               f"model family {self.name} has no {name} ({HOOKS[name][1]})")
        return found

    def has(self, name: str) -> bool:
        _load_for(name)
        return name in self.hooks

    def refusal(self, name: str) -> str:
        """Why the family does not provide hook ``name`` ("" when it should)."""
        _load_for(name)
        if name in self.refuses:
            return self.refuses[name]
        if self.name in _REFUSED_BY_FEATURE.get(name, {}):
            return _REFUSED_BY_FEATURE[name][self.name]
        return {"export": self.no_export, "read": self.no_export, "lava_run": self.no_export,
                "file_predictor": self.no_file_evaluation or self.no_export}.get(name, "")

    def expected_hooks(self) -> tuple[str, ...]:
        """The hooks this family must provide (all of :data:`HOOKS` but those it refuses)."""
        load()
        return tuple(h for h in HOOKS if not self.refusal(h))


_FAMILIES: dict[str, Family] = {}


def register_hook(name: str, stage: str, contract: type | str,
                  refuses: Mapping[str, str] | None = None) -> None:
    """Add a hook every family must provide or refuse: what :func:`load` does with a feature
    module's ``DECLARES`` row (a :class:`Feature`). ``contract``: the hook's Protocol
    (contracts.py; a one-line description is accepted for a quick experiment); ``refuses``:
    family name -> the one-line reason it does not provide the hook, declared in the feature's
    own module (a family may also refuse it in its own record, ``Family.refuses``)."""
    if name in HOOKS:
        raise ValueError(f"hook {name!r} is registered twice")
    HOOKS[name] = (_hook(name, stage, contract) if isinstance(contract, type)
                   else Hook(stage, str(contract), None))
    _REFUSED_BY_FEATURE[name] = dict(refuses or {})


def register_family(family: Family) -> Family:
    """Declare a family (once); its stage modules then provide its hooks (``PROVIDES``, :func:`load`)."""
    if family.name in _FAMILIES:
        raise ValueError(f"model family {family.name!r} is registered twice")
    if family.inputs not in ("images", "spikes", "sequences"):
        raise ValueError(f"{family.name}: inputs must be images, spikes or sequences")
    if family.trained and family.name not in getattr(family.config_class, "MODELS", ()):
        raise ValueError(f"{family.name}: {family.config_class.__name__}.MODELS does not list it")
    _FAMILIES[family.name] = family
    return family


def implements(*names: str, hook: str) -> Callable[[Callable], Callable]:
    """Attach the function as the ``hook`` of the families ``names`` (what :func:`load` does with a
    ``PROVIDES`` row; as a decorator, for a quick experiment or a test)."""
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
