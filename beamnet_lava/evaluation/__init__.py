"""Evaluation: per-sample predictions, run records (Parquet), reports, comparisons."""
