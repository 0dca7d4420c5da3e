"""A BEAM-Net variant built from stock Lava processes only: ``export --target loihi2``.

The exact model's Bayesian LIF (noise, adaptive threshold, inhibition trace) needs INRC-only
microcode. This variant keeps what stock processes with public Loihi 2 models can do:

- coincidence synapses: lava ``DelayDense`` with the trained weights and delays (Eq. 21-22);
- memory neurons: lava ``LIFReset`` (fixed_pt, lava/proc/lif/models.py ``subthr_dynamics``),
  i.e. Delta -> 0 (no noise, Eq. 9), gamma -> 0 (no adaptive threshold, Eq. 10);
  its current decay is ``du - 1`` because lava's LIF adds ``ds_offset = 1`` to ``du``;
- lateral inhibition (Prop. 3.3): a recurrent lava ``Dense`` of ``-w_inh`` off the diagonal
  (8-bit mantissa << weight_exp), entering the *current* ``u`` one step later -- the exact
  model's separate inhibition trace (decay ``d_syn``) has no stock counterpart;
- readout (Eq. 12-15): on the host, from the memory spikes leaving the chip, with the
  exact model's trained readout.

Stock ``DelayDense`` buffers are not reset between samples, so each sample's window is
padded to ``T' = T + max delay + 2`` steps (no delayed input crosses into the next sample).
The training-side model of this variant is
:func:`beamnet_lava.sim_cpu.stock_run.reference_spikes` (numpy, the same integer equations);
``run`` checks Lava against it spike for spike.

Here: the ``loihi2_variant`` hook (declared with the families that refuse it) and BEAM-Net's
implementation, :func:`export_stock`. The file (record, writer, reader: the ``read`` hook) is
:mod:`beamnet_lava.netx_export.stock_file`; its Lava run (``lava_run``) is
:mod:`beamnet_lava.sim_cpu.stock_run`, in their stages like every family's.
"""
from __future__ import annotations

from pathlib import Path

import h5py

from beamnet_lava.deploy.fit import NO_FILE
from beamnet_lava.families.contracts import Loihi2VariantHook
from beamnet_lava.families.registry import Feature, provide
from beamnet_lava.netx_export.stock_file import StockBeamnet, from_exact, read_stock, write_stock

_NO_VARIANT = ("--target loihi2 makes BEAM-Net's stock-process variant; {what} (check any file "
               "with `beamnet-lava inspect`)")
_RESONATORS = _NO_VARIANT.format(what="resonators have no stock Lava process, so there is no stock "
                                      "variant of them")


def export_stock(run_dir: str | Path, out: str | Path, force: bool = False) -> StockBeamnet:
    """``export RUN --target loihi2``: the stock variant of a trained BEAM-Net run, atomically."""
    import tempfile

    from beamnet_lava.io_utils import refuse_overwrite
    from beamnet_lava.netx_export import export_run
    from beamnet_lava.netx_export.beamnet_file import read_beamnet

    out = Path(out)
    refuse_overwrite(out, force)
    with tempfile.TemporaryDirectory(prefix="beamnet-stock-") as folder:
        exact = Path(folder) / "exact.net"
        export_run(run_dir, exact)
        bf = read_beamnet(exact)
        with h5py.File(exact, "r") as f:
            attrs = {k: v for k, v in f.attrs.items() if k != "model"}
        sb = from_exact(bf)
        # refuse to publish a file we could not run
        return write_stock(sb, attrs).publish(out, read_stock, force=force, register=False)


# this module's hook, who refuses it and why, and BEAM-Net's implementation (deploy/__init__.py's providers())
DECLARES = [Feature("loihi2_variant", "deploy", Loihi2VariantHook, refuses={
    "snn": _NO_VARIANT.format(what="export snn runs without --target (they are stock already)"),
    "brf-rsnn": _RESONATORS, "rf-rsnn": _RESONATORS, "ann": NO_FILE, "alif-rsnn": NO_FILE,
    "beamnet-stock": "it is the stock variant already",
    "lavadl": "a lava-dl network is made of stock processes already"})]
PROVIDES = [provide("loihi2_variant", export_stock, "beamnet")]
