"""The model families (seven trained ones, the file-only export variant and lava-dl files), declared once each (their hooks live in their own stage modules).

Adding a family: one :func:`register_family` here plus its stage modules (docs/families.md).
"""
from beamnet_lava.config import ANNConfig, BeamnetConfig, CSNNConfig, SeqConfig, SNNConfig
from beamnet_lava.families.registry import Family, register_family

NOT_EXPORTABLE_SEQ = ("alif-rsnn runs are a training baseline; export supports brf-rsnn and "
                      "rf-rsnn")
# A family refuses what it cannot do in its own record (``refuses=``, as csnn below); the families
# that came before a feature hook (to_nir, spike_inputs, fit_profile, bundle_case, loihi2_variant)
# are refused by the feature module that adds it, in its DECLARES table.

register_family(Family(
    "snn", SNNConfig, "rate-coded SLAYER CUBA SNN", "SLAYER CUBA network (rate or event inputs)",
    inputs="spikes", lanes=True, shards=True))
register_family(Family(
    "beamnet", BeamnetConfig, "BEAM-Net", "BEAM-Net (Bayesian LIF memory, Dirichlet readout)",
    inputs="images", probabilities="eta", lanes=True, loop=True, run_energy_constants=True,
    sweep_key="n_memory"))
register_family(Family(
    "ann", ANNConfig, "ANN-MLP baseline", "MLP baseline (plain torch)",
    inputs="images",
    no_export="an ANN-MLP baseline has no spiking network to export to NetX (evaluate it with "
              "`beamnet-lava evaluate` instead)"))
_FILE_BRF = ("an exported recurrent (BRF/RF) network is evaluated through its run directory "
             "(training model), or run on Lava with `beamnet-lava run` (parity, spikes, energy)")
register_family(Family(
    "brf-rsnn", SeqConfig, "BRF recurrent SNN", "recurrent SNN of balanced resonate-and-fire "
    "neurons on sequences", inputs="sequences", lanes=True, run_energy_constants=True,
    no_file_evaluation=_FILE_BRF))
register_family(Family(
    "rf-rsnn", SeqConfig, "RF recurrent SNN", "recurrent SNN of resonate-and-fire neurons on "
    "sequences", inputs="sequences", lanes=True, run_energy_constants=True,
    no_file_evaluation=_FILE_BRF))
register_family(Family(
    "alif-rsnn", SeqConfig, "ALIF recurrent SNN", "recurrent SNN of slayer ALIF neurons on "
    "sequences", inputs="sequences", no_export=NOT_EXPORTABLE_SEQ))
register_family(Family(
    "csnn", CSNNConfig, "convolutional SLAYER CUBA SNN", "convolutional SLAYER CUBA network "
    "(conv, pool, dense; images or event frames; docs/csnn.md)", inputs="spikes", lanes=True, shards=True,
    refuses={"loihi2_variant": "--target loihi2 makes BEAM-Net's stock-process variant; a CSNN is made "
                               "of stock lava-dl blocks already (check any file with `beamnet-lava inspect`)"}))
_STOCK = ("the stock-process BEAM-Net variant is written by `beamnet-lava export RUN_DIR --target "
          "loihi2` from a BEAM-Net run; train, evaluate and export that run instead")
register_family(Family(
    "beamnet-stock", BeamnetConfig, "BEAM-Net, stock Lava processes (Loihi 2 variant)",
    "BEAM-Net's deterministic core from stock Lava processes (export --target loihi2)",
    inputs="images", trained=False, no_file_evaluation=_STOCK,
    refuses={hook: _STOCK for hook in ("build", "train", "calibrate", "train_memory", "export", "predict",
                                       "raster")}))
_LAVADL = ("a lava-dl network from elsewhere (conv, pool, SDNN, readout) is run with `beamnet-lava "
           "run FILE --inputs X.npy`; it records no training run or dataset encoding")
register_family(Family(
    "lavadl", SNNConfig, "lava-dl NetX network (conv, pool, flatten, SDNN, current readout)",
    "any NetX file lava-dl writes that the dense SNN path does not run (docs/lavadl.md)",
    inputs="spikes", trained=False, lanes=True, shards=True,
    refuses={hook: _LAVADL for hook in ("build", "train", "calibrate", "train_memory", "export",
                                        "predict", "raster", "file_predictor")}))
