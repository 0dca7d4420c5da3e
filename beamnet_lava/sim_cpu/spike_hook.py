"""The ``spike_inputs`` hook (``beamnet-lava run FILE --inputs X.npy``): its declaration, who
refuses it and why, and the stock NetX reader that provides it for the SNN family.

Its own module, imported by every module that provides the hook (``lavadl_run``, ``csnn_run``)
and by the runner of the user's spikes (``spike_inputs``), so the hook is declared before any
implementation attaches to it whatever the import order, and no provider imports the runner.
"""
from __future__ import annotations

from beamnet_lava.families import implements, register_hook
from beamnet_lava.families.contracts import SpikeInputsHook
from beamnet_lava.netx_export.netx_file import read_netx

NO_SPIKES = ("--inputs runs CUBA SNN files (NetX or NIR); this family's files take their "
             "encoders' inputs from a dataset")
register_hook("spike_inputs", "sim_cpu", SpikeInputsHook, refuses={
    name: NO_SPIKES for name in ("beamnet", "ann", "brf-rsnn", "rf-rsnn", "alif-rsnn", "beamnet-stock")})
implements("snn", hook="spike_inputs")(read_netx)
