"""The ``spike_inputs`` hook (``beamnet-lava run FILE --inputs X.npy``): its declaration, who
refuses it and why, and the stock NetX reader that provides it for the SNN family.

Its own module, apart from the runner of the user's spikes (``spike_inputs``), so the other
providers (``lavadl_run``, ``csnn_run``) never import the runner.
"""
from __future__ import annotations

from beamnet_lava.families.registry import Feature, provide
from beamnet_lava.families.contracts import SpikeInputsHook
from beamnet_lava.netx_export.netx_file import read_netx

NO_SPIKES = ("--inputs runs CUBA SNN files (NetX or NIR); this family's files take their "
             "encoders' inputs from a dataset")


# this module's hook, who refuses it and why, and the SNN's implementation (attached by the
# registry, families.registry.load, through sim_cpu/__init__.py's providers())
DECLARES = [Feature("spike_inputs", "sim_cpu", SpikeInputsHook, refuses={
    name: NO_SPIKES for name in ("beamnet", "ann", "brf-rsnn", "rf-rsnn", "alif-rsnn", "beamnet-stock")})]
PROVIDES = [provide("spike_inputs", read_netx, "snn")]
