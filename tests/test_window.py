"""The processes' one window/reset helper (beamnet_lava/processes/window.py)."""
import numpy as np
import pytest

from beamnet_lava.processes.window import Position, Window


def test_positions_follow_the_staggered_reset():
    w = Window(interval=4, offset=3)              # a layer two hops down: first window at step 3
    assert [w.at(t) for t in (1, 2)] == [None, None]
    got = [(p.index, p.step, p.first, p.last) for p in map(w.at, range(3, 12))]
    assert got == [(0, 0, True, False), (0, 1, False, False), (0, 2, False, False), (0, 3, False, True),
                   (1, 0, True, False), (1, 1, False, False), (1, 2, False, False), (1, 3, False, True),
                   (2, 0, True, False)]


def test_one_step_windows_are_first_and_last():
    p = Window(1, 1).at(5)
    assert p == Position(4, 0, 1) and p.first and p.last


def test_of_reads_process_parameters_and_refuses_an_empty_window():
    assert Window.of({"reset_interval": np.int64(8), "reset_offset": 2, "lanes": 3}) == Window(8, 2)
    with pytest.raises(ValueError, match="reset_interval must be >= 1"):
        Window(0, 1)


def test_reset_clears_state_in_place():
    class Model:
        u = np.arange(4)
        v = np.ones((2, 2))
        keep = np.arange(3)

    m = Model()
    u, v = m.u, m.v
    Window.reset(m, ("u", "v"))
    assert m.u is u and m.v is v                  # Lava's Var arrays are changed, not replaced
    assert not u.any() and not v.any() and m.keep.tolist() == [0, 1, 2]


def test_every_windowed_process_model_uses_it():
    """The window and reset logic exists once: the three windowed models hold no copy of it."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "beamnet_lava" / "processes"
    for name in ("bayes_lif", "brf", "dirichlet_readout"):
        text = (root / name / "models.py").read_text()
        assert "Window.of(" in text and "self.window.at(self.time_step)" in text, name
        assert "reset_offset" not in text and "reset_interval" not in text, name
