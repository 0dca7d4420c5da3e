"""Balanced resonate-and-fire neurons and a leaky-integrator readout as Lava processes."""
