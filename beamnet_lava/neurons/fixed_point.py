"""Loihi fixed-point conventions shared by training, export and Lava runs: the one table.

Every number the training models, the NetX files and the Lava process models
must agree on bit for bit, once, with its source. Nothing outside
:mod:`beamnet_lava.neurons` spells these numbers out.

- ``W_SCALE = 1 << 6`` (64): state units per weight or threshold mantissa unit.
  Loihi's LIF shifts synaptic input and ``vth`` 6 bits up (MSB alignment; lava-nc
  ``proc/lif/models.py``: ``act_shift = vth_shift = 6``), and slayer's float
  weight 1.0 is 64 units (``slayer/neuron/cuba.py``: ``scale=1 << 6``).
- ``DECAY_UNITY = 1 << 12`` (4096): a 12-bit decay ``d`` keeps ``(4096 - d) / 4096``
  of the state per step (lava-nc ``decay_unity``).
- ``TRACE_UNIT = 1 << 12``: one spike's step in BEAM-Net's spike trace ``h``
  (ours, Eq. 10: ``h`` is a 12-bit fraction like the decays).
- ``V_LIMIT = (1 << 23) - 1``: voltage saturation of a 24-bit signed state
  (lava-nc ``uv_bitwidth = 24``).
- ``VTH_MAX = (1 << 17) - 1``: ``vThMant`` is an unsigned 17-bit mantissa.
- ``WEIGHT_MANT_MIN, WEIGHT_MANT_MAX = -256, 254``: the 8-bit weight mantissas
  lava-nc's fixed-point ``Dense`` (NetX's synapse on the CPU; Loihi) keeps
  unchanged in every sign mode. With ``num_weight_bits=8`` a mixed-sign matrix is
  clipped to [-256, 255] and then loses its lowest bit (``lava/utils/weightutils.py``:
  ``clip_weights`` then ``truncate_weights``), so only even values in [-256, 254]
  pass through; 255 would silently become 254.
- ``BIAS_MIN, BIAS_MAX = -4096, 4095``: signed 13-bit bias mantissa (lava-nc LIF).
- ``MAX_DELAY = 62``: NetX/Loihi synaptic delay limit (steps).
"""
from __future__ import annotations

W_SCALE = 1 << 6
DECAY_UNITY = 1 << 12
TRACE_UNIT = 1 << 12
V_LIMIT = (1 << 23) - 1
VTH_MAX = (1 << 17) - 1
WEIGHT_MANT_MIN, WEIGHT_MANT_MAX = -256, 254
BIAS_MIN, BIAS_MAX = -(1 << 12), (1 << 12) - 1
MAX_DELAY = 62
# the threshold lava-dl 0.6's slayer writes for an Affine (non-spiking) block: "set the maximum
# possible threshold" (lava/lib/dl/slayer/block/base.py, AbstractAffine.export_hdf5)
SLAYER_AFFINE_VTH = (1 << 18) - 1


SATURATE = 1 << 62     # beyond every fixed-point range here: what an absurd value converts to


def saturating_int(x: float) -> int:
    """``int(x)`` clamped to +-SATURATE (NaN to SATURATE), so that a range check refuses an
    absurd value (1e308, inf) instead of the conversion raising OverflowError."""
    return int(min(max(x, -SATURATE), SATURATE)) if x == x else SATURATE


def threshold_mant(threshold: float) -> int:
    """Hardware threshold mantissa of a slayer float threshold (saturating)."""
    return saturating_int(threshold * W_SCALE)


def decay_of_tau(tau: float, dt: float = 1.0) -> int:
    """12-bit decay constant for time constant ``tau`` (Euler: fraction dt / tau)."""
    return int(round(DECAY_UNITY * min(1.0, dt / tau)))


def decay_keep(d: int) -> float:
    """The fraction of the state a 12-bit decay ``d`` keeps per step, ``1 - d / 4096`` (float form)."""
    return 1.0 - d / DECAY_UNITY
