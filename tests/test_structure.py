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
