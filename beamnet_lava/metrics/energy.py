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

import numpy as np

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
        "source": "Horowitz 2014, ISSCC, 45 nm: fp32 multiply 3.7 pJ + add 0.9 pJ; 64-bit "
                  "memory reads: 8 kB SRAM 10 pJ, 32 kB 20 pJ, 1 MB 100 pJ, DRAM 1.3-2.6 nJ",
        "mac_pJ": 4.6,
        "add_pJ": 0.9,
        # (capacity in bytes, energy of one 64-bit read in pJ): the smallest memory that
        # holds all weights serves every weight read; DRAM (lower bound) beyond 1 MB
        "read64_tiers_pJ": [[8 * 1024, 10.0], [32 * 1024, 20.0], [1024 * 1024, 100.0],
                            [float("inf"), 1300.0]],
    },
}
LOIHI_KEYS = ("synaptic_op_pJ", "neuron_update_inactive_pJ", "neuron_update_active_pJ",
              "spike_within_tile_pJ")
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
        if not isinstance(table, dict):
            raise BeamnetError(f"energy constants file {path} must hold a JSON object of "
                               f"per-operation energies in pJ: {', '.join(LOIHI_KEYS)}")
    else:
        if platform not in PLATFORMS:
            raise BeamnetError(f"unknown platform {platform!r}; choose {', '.join(PLATFORMS)}")
        table = PLATFORMS[platform]
    missing = [k for k in LOIHI_KEYS if k not in table]
    if missing:
        raise BeamnetError(f"energy constants for {path or platform} lack {', '.join(missing)} "
                           f"({table.get('source', 'no source given')}); give every one of "
                           f"{', '.join(LOIHI_KEYS)} in pJ")
    bad = [k for k in LOIHI_KEYS if not isinstance(table[k], (int, float)) or isinstance(table[k], bool)
           or not table[k] >= 0]
    if bad:
        raise BeamnetError(f"energy constants for {path or platform}: "
                           + ", ".join(f"{k}={table[k]!r}" for k in bad)
                           + " must be non-negative numbers of pJ")
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
    return per_op_nJ(a.synaptic_events + a.inhibitory_events, a.neuron_updates, a.memory_spikes,
                     a.encoder_spikes + a.memory_spikes, constants)


def per_op_nJ(synaptic_ops: float, neuron_updates: float, active_updates: float,
              spikes_routed: float, constants: dict) -> dict[str, float]:
    """Loihi-style per-operation energy of any spiking network, in nJ."""
    active = np.minimum(active_updates, neuron_updates)
    out = {
        "synaptic_ops": synaptic_ops * constants["synaptic_op_pJ"],
        "neuron_updates": (active * constants["neuron_update_active_pJ"]
                           + (neuron_updates - active) * constants["neuron_update_inactive_pJ"]),
        "spikes_routed": spikes_routed * constants["spike_within_tile_pJ"],
    }
    out = {k: v / 1000.0 for k, v in out.items()}
    out["total"] = sum(out.values())
    return out


def ann_nJ(macs: float, adds: float, n_weights: int, bytes_per_weight: int = 4) -> dict[str, float]:
    """An fp32 ANN's energy per inference (Horowitz 2014, 45 nm), two models.

    ``macs_only``: multiply-accumulates and adds. ``with_memory``: plus one read of
    every weight per inference from the smallest memory holding them all
    (64-bit reads, so a read serves ``8 / bytes_per_weight`` weights).
    """
    c = PLATFORMS["ann_fp32_45nm"]
    compute = (macs * c["mac_pJ"] + adds * c["add_pJ"]) / 1000.0
    size = n_weights * bytes_per_weight
    read64 = next(pj for cap, pj in c["read64_tiers_pJ"] if size <= cap)
    memory = n_weights * bytes_per_weight / 8.0 * read64 / 1000.0
    return {"macs_only": compute, "memory_reads": memory, "with_memory": compute + memory,
            "weight_bytes": float(size), "read64_pJ": read64}
