"""Loihi 2 numbers used by the fit check, each with its source and how sure it is.

``documented``: read in lava-nc / lava-dl 0.10 / 0.6 source (file:line, paths relative
to ``site-packages/lava``). ``inferred``: seen in Intel's published compiler logs,
not documented anywhere public; the fit report labels results that depend on them
as estimates. Nothing here was measured on a chip by this project.
"""
from __future__ import annotations

from dataclasses import dataclass

from beamnet_lava.neurons import fixed_point


@dataclass(frozen=True)
class Limit:
    value: int
    what: str
    source: str
    documented: bool = True


LIMITS: dict[str, Limit] = {
    "max_delay": Limit(62, "synaptic delay through NetX (steps); larger delays are clamped "
                       "with only a warning", "lib/dl/netx/hdf5.py:427-430 (clip to 62); "
                       "proc/dense/models.py:297-298 (Loihi 2: 6-bit delays)"),
    "weight_min": Limit(-256, "weight mantissa, mixed sign, 8 bits + sign",
                        "utils/weightutils.py:110 (_validate_weights); "
                        "proc/dense/models.py:87 (clip_weights num_bits=8)"),
    "weight_max": Limit(255, "weight mantissa, mixed sign", "utils/weightutils.py:112"),
    "state_bits": Limit(24, "neuron state u, v (signed)", "proc/lif/models.py:80-81, 100-101"),
    "decay_bits": Limit(12, "current / voltage decays du, dv (4096 = no decay)",
                        "proc/lif/models.py:82-83, 92-93"),
    "vth_max": Limit(fixed_point.VTH_MAX, "threshold mantissa vth (unsigned 17 bits)",
                     "proc/lif/models.py:257"),
    "bias_min": Limit(fixed_point.BIAS_MIN, "bias mantissa (signed 13 bits)", "proc/lif/models.py:254"),
    "bias_max": Limit(fixed_point.BIAS_MAX, "bias mantissa (signed 13 bits)", "proc/lif/models.py:254"),
    "graded_bits": Limit(24, "graded spike payload", "proc/graded/models.py:48-49; "
                         "proc/sdn/models.py:174-175"),
    "cores_per_chip": Limit(120, "virtual neuro-cores per Loihi 2 chip in Lava's mapper",
                            "magma/compiler/subcompilers/constants.py:10 (NUM_VIRTUAL_CORES_L3); "
                            "magma/compiler/mapper.py:85"),
    "neurons_per_core": Limit(4096, "neuron slots per core",
                              "inferred from Intel's published compiler per-core tables "
                              "(lava-dl tutorials netx/pilotnet_snn/benchmark.ipynb: at most "
                              "3168 neurons seen on one core); not documented", documented=False),
    "neuron_groups_per_core": Limit(8, "neuron groups (processes) per core",
                                    "inferred from published compiler logs; not documented",
                                    documented=False),
}


def limit(name: str) -> int:
    return LIMITS[name].value


def table() -> list[dict]:
    """The limits as JSON-able rows (for reports and docs)."""
    return [{"name": k, "value": v.value, "what": v.what, "source": v.source,
             "documented": v.documented} for k, v in LIMITS.items()]
