"""Energy per inference from counted activity (BEAM-Net Eq. 25 and a per-operation breakdown).

Every term is a count measured in the run (the Lava processes' counters or the
training model's forward, which agree); constants are per platform, each with
its source, in :data:`PLATFORMS`. Users can supply their own table (for example
for Loihi 2, for which no per-operation energy table has been published).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from beamnet_lava.errors import BeamnetError

# Per-operation energies in picojoules, with sources.
PLATFORMS: dict[str, dict] = {
    "loihi1": {
        "source": "Davies et al. 2018, IEEE Micro 38(1), Table 1 (Loihi, 14 nm)",
        "synaptic_op_pJ": 23.6,          # per synaptic spike operation (minimum)
        "neuron_update_inactive_pJ": 52.0,
        "neuron_update_active_pJ": 81.0,
        "spike_within_tile_pJ": 1.7,
        "tile_hop_ew_pJ": 3.0,
        "tile_hop_ns_pJ": 4.0,
    },
    "loihi2": {
        "source": "none: Intel has published no per-operation energy table for Loihi 2; "
                  "supply measured constants with --energy-constants",
    },
    "ann_fp32_45nm": {
        "source": "Horowitz 2014, ISSCC, 45 nm: fp32 multiply 3.7 pJ + add 0.9 pJ",
        "mac_pJ": 4.6,
        "add_pJ": 0.9,
    },
}
E_SPIKE_EQ25_PJ = 23.6   # the paper's E_spike in Eq. 25 (Loihi's synaptic op energy)


@dataclass(frozen=True)
class Activity:
    """Counts per inference (averages over samples)."""

    encoder_spikes: float
    synaptic_events: float        # delivered into the memory layer
    memory_spikes: float
    inhibitory_events: float      # memory spikes x (N - 1) deliveries
    neuron_updates: float         # memory neuron-steps computed
    windows: float                # windows used (Theorem 3.6)
    n_memory: int


def load_constants(platform: str = "loihi1", path: str | Path | None = None) -> dict:
    """A platform's constants, or a user's JSON file with the same keys (and a 'source')."""
    if path is not None:
        try:
            table = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise BeamnetError(f"energy constants file {path} could not be read: {exc}") from None
    else:
        if platform not in PLATFORMS:
            raise BeamnetError(f"unknown platform {platform!r}; choose {', '.join(PLATFORMS)}")
        table = PLATFORMS[platform]
    needed = ("synaptic_op_pJ", "neuron_update_inactive_pJ", "neuron_update_active_pJ",
              "spike_within_tile_pJ")
    missing = [k for k in needed if k not in table]
    if missing:
        raise BeamnetError(f"energy constants for {path or platform} lack {', '.join(missing)} "
                           f"({table.get('source', 'no source given')})")
    return table


def eq25_nJ(a: Activity, e_spike_pJ: float = E_SPIKE_EQ25_PJ) -> dict[str, float]:
    """Eq. 25 in measured form: E_spike x [encoding + coincidence + selection/iteration].

    The paper's ``d``, ``rho d N`` and ``1.1 N^2 + L N`` become the measured encoder
    spikes, encoder spikes + synaptic events, and inhibitory events + windows x N.
    """
    terms = {
        "encoding": a.encoder_spikes,
        "coincidence": a.encoder_spikes + a.synaptic_events,
        "selection_iteration": a.inhibitory_events + a.windows * a.n_memory,
    }
    out = {k: v * e_spike_pJ / 1000.0 for k, v in terms.items()}
    out["total"] = sum(out.values())
    return out


def breakdown_nJ(a: Activity, constants: dict) -> dict[str, float]:
    """Per-operation energy: synaptic ops, neuron updates (active/inactive), spikes routed."""
    active = min(a.memory_spikes, a.neuron_updates)
    out = {
        "synaptic_ops": (a.synaptic_events + a.inhibitory_events) * constants["synaptic_op_pJ"],
        "neuron_updates": (active * constants["neuron_update_active_pJ"]
                           + (a.neuron_updates - active) * constants["neuron_update_inactive_pJ"]),
        "spikes_routed": (a.encoder_spikes + a.memory_spikes) * constants["spike_within_tile_pJ"],
    }
    out = {k: v / 1000.0 for k, v in out.items()}
    out["total"] = sum(out.values())
    return out
