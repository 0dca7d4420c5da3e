"""The code's structure as tests: the command line only parses (issue 25)."""
import ast
from pathlib import Path

import beamnet_lava

PKG = Path(beamnet_lava.__file__).parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def test_cli_parses_only():
    """cli.py renders nothing itself, assembles no config and calls no stage: it reaches the
    library through verbs.py and prints through presentation/present.py."""
    imported = _imports(PKG / "cli.py")
    assert not any(n.startswith("rich") for n in imported), imported
    stages = ("evaluation", "sim_cpu", "training", "netx_export", "nir", "deploy", "sweep", "data.saccade",
              "config", "rundir", "outputs")
    assert not [n for n in imported if any(n.startswith(f"beamnet_lava.{s}") for s in stages)], imported
    source = (PKG / "cli.py").read_text()
    for needle in ("Table(", "print(", "write_json", "family_of", "config_mod"):
        assert needle not in source.replace("present.", ""), needle


def test_verbs_and_presentation_know_no_command_line():
    """verbs.py is usable from Python (no typer, no printing); present.py only shows results."""
    for path in (PKG / "verbs.py", PKG / "presentation" / "present.py"):
        assert not any(n.startswith(("typer", "click")) for n in _imports(path)), path
    verbs_source = (PKG / "verbs.py").read_text()
    assert "print(" not in verbs_source and "Console(" not in verbs_source


def test_every_command_has_one_verb_function():
    from beamnet_lava import verbs
    from beamnet_lava.cli import app, data_app

    names = [c.callback.__name__ for c in app.registered_commands + data_app.registered_commands]
    missing = [n for n in names if not callable(getattr(verbs, n, None))]
    assert len(names) >= 13 and not missing, missing


# -- no family dispatch outside the families' own modules ------------------------------------------

def _registered_modules() -> dict[str, set[str]]:
    """module -> the families whose hooks it registers (every stage imported first)."""
    import beamnet_lava.deploy  # noqa: F401
    import beamnet_lava.workflows.energy  # noqa: F401
    import beamnet_lava.workflows.train  # noqa: F401
    import beamnet_lava.nir  # noqa: F401
    import beamnet_lava.sim_cpu  # noqa: F401
    import beamnet_lava.sim_cpu.spike_inputs  # noqa: F401
    from beamnet_lava import families

    families.load()

    owners: dict[str, set[str]] = {}
    for fam in families.families():
        for fn in fam.hooks.values():
            owners.setdefault(getattr(fn, "__module__", ""), set()).add(fam.name)
    return owners


def family_branches() -> list[str]:
    """Every ``isinstance(x, <a family's config class>)`` and every comparison with a family's
    name (``cfg.model == "beamnet"``, ``model in ("brf-rsnn", ...)``) outside config.py, the
    registry and the modules that belong to the families compared (a module whose hooks all
    belong to families of one config class)."""
    from beamnet_lava import families

    fams = {f.name: f for f in families.families()}
    classes = {f.config_class.__name__ for f in fams.values()}
    owners = _registered_modules()
    found = []
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG.parent)
        module = ".".join(rel.with_suffix("").parts)
        if module.startswith("beamnet_lava.families") or module == "beamnet_lava.config":
            continue
        own = owners.get(module, set())
        own_classes = {fams[n].config_class.__name__ for n in own}

        def allowed(names: set[str], cls: set[str], own=own, own_classes=own_classes) -> bool:
            named = {fams[n].config_class.__name__ for n in names} | cls
            return bool(own) and len(own_classes) == 1 and named <= own_classes

        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "isinstance" and len(node.args) == 2:
                named = {n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(node.args[1])
                         if isinstance(n, (ast.Name, ast.Attribute))}
                hit = named & classes
                if hit and not allowed(set(), hit):
                    found.append(f"{rel}:{node.lineno}: isinstance(..., {', '.join(sorted(hit))})")
            if isinstance(node, ast.Compare):
                consts = {n.value for n in ast.walk(node) if isinstance(n, ast.Constant)
                          and isinstance(n.value, str)}
                hit = consts & set(fams)
                if hit and not allowed(hit, set()):
                    found.append(f"{rel}:{node.lineno}: compares with family name(s) {', '.join(sorted(hit))}")
    return found


def test_no_family_dispatch_outside_the_families_own_modules():
    """Issue 25: a new family is one registration plus its own stage modules; no stage branches
    on a config class or a family name (the memory estimate is the train_memory hook)."""
    assert family_branches() == []


def test_the_family_branch_finder_finds_branches(tmp_path, monkeypatch):
    """The test above can fail: a branch of each kind in a stage module is found."""
    global PKG
    pkg = tmp_path / "beamnet_lava"
    (pkg / "evaluation").mkdir(parents=True)
    (pkg / "evaluation" / "x.py").write_text(
        "def f(cfg, family):\n"
        "    if isinstance(cfg, BeamnetConfig):\n        return 1\n"
        "    return family.name in ('brf-rsnn', 'rf-rsnn')\n")
    monkeypatch.setattr(__import__(__name__), "PKG", pkg, raising=False)
    monkeypatch.setitem(globals(), "PKG", pkg)
    found = family_branches()
    assert len(found) == 2 and "BeamnetConfig" in found[0] and "brf-rsnn" in found[1], found
