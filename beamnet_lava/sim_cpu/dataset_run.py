"""``beamnet-lava run``: a dataset through an exported network on Lava, with parity.

The dispatcher: :func:`run_dataset` checks the options, refuses the ones the file's family does
not take and calls that family's ``lava_run`` hook with a :class:`RunOptions` (the SNN family's is
in snn_run.py, BEAM-Net's in beamnet_run.py, the resonators' in brf_run.py).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from beamnet_lava import checks
from beamnet_lava.errors import BeamnetError
from beamnet_lava.families import Family, families
from beamnet_lava.families.contracts import RunOptions
from beamnet_lava.netx_export import file_family
from beamnet_lava.sim_cpu.report import RunReport
from beamnet_lava.sim_cpu.runner import DEFAULT_TIMEOUT_S
from beamnet_lava.sim_cpu.lanes import AUTO

RUN_OPTIONS = {"lanes": ("lanes", "--lanes"), "bidirectional": ("loop", "--loop/--no-loop"),
               "energy_constants": ("run_energy_constants", "--energy-constants"),
               "workers": ("shards", "--workers")}


def family_options(family: Family, path, **given: Any) -> dict[str, Any]:
    """The family-specific ``run`` options that were given; one that the family's files do not
    take is refused with a one-line reason (the capability is on the family record)."""
    for name, value in given.items():
        capability, flag = RUN_OPTIONS[name]
        if value is not None and not getattr(family, capability):
            takers = [f.name for f in families() if getattr(f, capability)]
            raise BeamnetError(f"{flag} does not apply to {path}, a {family.name} file ({family.title}); "
                               f"it applies to {', '.join(takers)} files")
    return {k: v for k, v in given.items() if v is not None}


def run_dataset(path: str | Path, dataset: str | None = None, samples: int | None = None, *,
                part: str = "test", precision: str = "fixed", backend: str = "cpu",
                time_steps: int | None = None, data_dir: str | None = None, seed: int | None = None,
                timeout_s: float = DEFAULT_TIMEOUT_S, chunk_samples: int = 32,
                progress: bool = True, lanes: int | str | None = None,
                bidirectional: bool | None = None,
                energy_constants: str | Path | None = None, workers: int | None = None,
                mapper: Any = None) -> RunReport:
    """Run ``samples`` samples of ``dataset``'s ``part`` split through the file on Lava
    (the ``lava_run`` hook of the family the file names); ``workers`` > 1 shards the Lava
    simulation's samples over ``mapper`` (:mod:`beamnet_lava.sim_cpu.shards`; default: one
    process after another)."""
    from beamnet_lava.metrics.energy import load_constants

    checks.run_options(samples=samples, time_steps=time_steps, chunk_samples=chunk_samples,
                       lanes=None if lanes == AUTO else lanes, timeout_s=timeout_s, seed_=seed)
    family = file_family(path)
    extra = family_options(family, path, lanes=lanes, bidirectional=bidirectional,
                           energy_constants=energy_constants, workers=workers)
    if workers is not None:
        from beamnet_lava.sim_cpu.shards import serial

        if workers < 1:
            raise BeamnetError(f"--workers {workers} must be >= 1")

        extra["mapper"] = mapper or serial
    if energy_constants is not None:
        load_constants("loihi1", energy_constants)   # a bad file fails now, not after the run
    options = RunOptions(dataset=dataset, samples=samples, part=part, precision=precision,
                         backend=backend, time_steps=time_steps, data_dir=data_dir, seed=seed,
                         timeout_s=timeout_s, chunk_samples=chunk_samples, progress=progress, **extra)
    return family.hook("lava_run")(path, options)
