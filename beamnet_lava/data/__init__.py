"""Datasets and spike encoders. Knows nothing of models."""
from beamnet_lava.data.datasets import DATASETS, Split, load_split
from beamnet_lava.data.encoding import (SILENT, check_images, latency_times, population_intensity,
                                        rate_encode, times_to_raster)

__all__ = ["DATASETS", "SILENT", "Split", "check_images", "latency_times", "load_split",
           "population_intensity", "rate_encode", "times_to_raster"]
