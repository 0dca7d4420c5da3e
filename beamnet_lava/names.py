"""The names users choose from, in one place: datasets, Lava precisions and back-ends.

Configs, loaders, export and the CLI's choices all use these. Neutral: imported by
:mod:`beamnet_lava.config` (validation), :mod:`beamnet_lava.data` (the loaders) and the
CLI (its ``--help``), so it imports nothing.
"""
IMAGE_DATASETS = ("digits", "mnist")
EVENT_DATASETS = ("saccade-digits", "saccade-mnist", "nmnist", "shd", "dvsgesture")
DATASETS = IMAGE_DATASETS + EVENT_DATASETS           # what image / event models train on
SEQUENCE_DATASETS = ("digits-seq", "mnist-seq", "shd")   # one input per step (recurrent SNNs)
ALL_DATASETS = DATASETS + tuple(d for d in SEQUENCE_DATASETS if d not in DATASETS)

SEQUENCE_LENGTHS = {"digits-seq": 64, "mnist-seq": 784}   # fixed by the data; shd: time_steps chosen
SHD_STEPS = 100                                          # default bins of an SHD sequence

PRECISIONS = ("fixed", "float")     # fixed: bit-accurate (Loihi semantics); float: floating_pt models
BACKENDS = ("cpu", "loihi2")        # loihi2 needs Intel's lava-loihi (untested on hardware)
UNCERTAINTY_MODES = ("window", "probe")   # BEAM-Net's uncertainty read-outs (docs/beamnet.md)
