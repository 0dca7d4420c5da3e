"""Datasets and spike encoders. Knows nothing of models."""
from beamnet_lava.data.datasets import DATASETS, Split, load_split
from beamnet_lava.data.encoding import rate_encode

__all__ = ["DATASETS", "Split", "load_split", "rate_encode"]
