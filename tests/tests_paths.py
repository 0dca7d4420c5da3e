"""Paths the tests share."""
from pathlib import Path

MNIST_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
