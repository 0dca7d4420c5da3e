"""SLAYER-based training models. Never needs the Lava runtime."""
