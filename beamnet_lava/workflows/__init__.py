"""Orchestration of whole stages, above evaluation: ``train`` (train, calibrate, the run's
records: workflows/train.py) and the ``energy`` verb's retraining sweep (workflows/energy.py)."""
