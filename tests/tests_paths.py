"""Paths the tests share."""
from pathlib import Path

MNIST_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
#: Networks and results written by other tools (lava-dl, NIR, Norse): see its README.md.
REFERENCE_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "reference"
