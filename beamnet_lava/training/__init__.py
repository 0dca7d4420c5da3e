"""Training loop and checkpoints. Never needs the Lava runtime."""
