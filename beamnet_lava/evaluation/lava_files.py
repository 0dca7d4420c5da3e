"""``beamnet-lava evaluate FILE``: each family's exported file as a predictor simulated on Lava.

A ``file_predictor`` hook turns a validated export into the :class:`LoadedRun` the
report describes (the training model rebuilt from the file) and a
``predictor(x, y) -> Predictions`` that computes every sample on Lava.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from beamnet_lava.config import SNNConfig
from beamnet_lava.errors import BeamnetError
from beamnet_lava.evaluation.predict import Predictions, predict, snn_predictions
from beamnet_lava.families.registry import provide
from beamnet_lava.metrics.calibration import softmax
from beamnet_lava.models.snn import CubaSNN
from beamnet_lava.sim_cpu.beamnet_run import LavaWindows
from beamnet_lava.sim_cpu.snn_run import carry_steps, run_snn_sharded
from beamnet_lava.sim_cpu.lanes import AUTO
from beamnet_lava.training.checkpoint import LoadedRun

Predictor = Callable[[np.ndarray, np.ndarray], Predictions]


def beamnet_file(bf, *, part: str, loop: bool | None, constants: dict, precision: str,
                 backend: str, lanes: int | str | None, timeout_s: float, mapper: Any = None,
                 workers: int | None = None) -> tuple[LoadedRun, Predictor]:
    """BEAM-Net's windows on Lava (:class:`LavaWindows`), the loop and readout on the host."""
    run = LoadedRun(Path(bf.path), bf.config, bf.to_model(), 0, float("nan"),
                    {"probe_temperature": bf.probe_temperature})

    def predictor(xx: np.ndarray, yy: np.ndarray) -> Predictions:
        lava = LavaWindows(bf, run.model, precision=precision, backend=backend,
                           lanes=AUTO if lanes is None else lanes, timeout_s=timeout_s)
        return predict(run, xx, yy, part, loop=loop, constants=constants, run_window=lava)
    return run, predictor


def snn_file(net, *, part: str, loop: bool | None, constants: dict, precision: str, backend: str,
             lanes: int | str | None, timeout_s: float, mapper: Any = None,
             workers: int | None = None) -> tuple[LoadedRun, Predictor]:
    """A NetX SNN on Lava; probabilities softmax(counts / T) with the file's temperature."""
    path = net.path
    attrs = net.attrs
    if "temperature" not in attrs or "time_steps" not in attrs:
        raise BeamnetError(f"{path} records no temperature/time steps (exported by an older "
                           "beamnet-lava or another tool): re-export its run with "
                           "`beamnet-lava export RUN_DIR -o FILE --force`")
    window, t = int(attrs["time_steps"]), float(attrs["temperature"])
    events: dict[str, Any] = {k: attrs[k] for k in ("event_downsample", "event_polarity",
                                                    "event_window_ms") if k in attrs}
    cfg = SNNConfig(dataset=attrs.get("dataset", "digits"), seed=int(attrs.get("seed", 0)),
                    time_steps=window, hidden=tuple(l.size for l in net.layers[:-1]) or (1,),
                    **events)
    run = LoadedRun(Path(path), cfg, CubaSNN.from_netx_layers(net.layers), 0, float("nan"),
                    {"temperature": t})
    fan_outs = [np.count_nonzero(l.weight, axis=0) for l in net.layers]

    def predictor(xx: np.ndarray, yy: np.ndarray) -> Predictions:
        if (workers or 1) > 1 and carry_steps(net):
            raise BeamnetError(f"{path}: its samples stream back to back through recurrent or "
                               "delayed layers, so shards would not be one run; drop --workers")
        spikes, result, _ = run_snn_sharded(net, xx, window, mapper=mapper, workers=workers,
                                            precision=precision, backend=backend,
                                            timeout_s=timeout_s, progress=False,
                                            lanes=AUTO if lanes is None else lanes)
        layers = [spikes] + [np.asarray(l) for l in result.layers]
        prob = softmax(layers[-1].sum(-1) / t)
        return snn_predictions(prob, yy, layers, fan_outs, t, constants)
    return run, predictor


# this module's hooks, attached by the registry (families.registry.load) through evaluation/__init__.py's providers()
PROVIDES = [
    provide("file_predictor", beamnet_file, "beamnet"),
    provide("file_predictor", snn_file, "snn"),
]
