"""Stand-in for lava-loihi's profilers: fixed readings with the attribute names that Intel's
lava-dl notebooks read (netx/pilotnet_snn/benchmark.ipynb). Override with LOIHI2_DOUBLE_*."""
import os

import numpy as np
from lava.magma.core.callback_fx import NxSdkCallbackFx


def _env(name, default):
    return float(os.environ.get(f"LOIHI2_DOUBLE_{name}", default))


class _Profiler(NxSdkCallbackFx):
    def pre_run_callback(self, board=None, var_id_to_var_model_map=None):
        pass

    def post_run_callback(self, board=None, var_id_to_var_model_map=None):
        pass


class Loihi2Power(_Profiler):
    def __init__(self, num_steps):
        self.num_steps = num_steps
        self.total_power = np.full(8, _env("TOTAL_W", 0.7))
        self.static_total_power = _env("STATIC_W", 0.25)
        self.vdd_power = np.full(8, 0.3)
        self.vddm_power = np.full(8, 0.3)
        self.vddio_power = np.full(8, 0.1)


class Loihi2ExecutionTime(_Profiler):
    def __init__(self):
        self.avg_time_per_step = _env("STEP_US", 20.0)
        self.time_per_step = np.full(4, self.avg_time_per_step)


class Loihi2Activity(_Profiler):
    def __init__(self):
        self.core_idx = np.array([0, 1])
        self.chip_idx = np.array([0, 0])


class Loihi2Memory(_Profiler):
    def __init__(self):
        self.total_synapse_memory = np.array([10, 20])
