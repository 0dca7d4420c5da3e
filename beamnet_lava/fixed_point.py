"""Loihi fixed-point conventions shared by training, export and Lava runs.

One neutral place for the numbers both sides must agree on. Sources: lava-nc
``lava/proc/lif/models.py`` (AbstractPyLifModelFixed) and lava-dl
``slayer/neuron/cuba.py``.
"""
from __future__ import annotations

W_SCALE = 1 << 6          # slayer weight scale: float weight 1.0 == 64 hardware units
DECAY_UNITY = 1 << 12     # 12-bit decays: fraction 1.0 == 4096
VTH_MAX = (1 << 17) - 1   # vth: unsigned 17-bit mantissa
WEIGHT_MIN, WEIGHT_MAX = -256, 255   # 8-bit mantissa (+ sign) before the exponent
BIAS_MIN, BIAS_MAX = -(1 << 12), (1 << 12) - 1  # signed 13-bit bias mantissa
MAX_DELAY = 62            # NetX/Loihi synaptic delay limit (steps)


def threshold_mant(threshold: float) -> int:
    """Hardware threshold mantissa of a slayer float threshold."""
    return int(threshold * W_SCALE)
