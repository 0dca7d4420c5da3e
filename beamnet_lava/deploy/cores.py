"""Per-core Loihi 2 resource model: how many neuro-cores each layer takes, and what binds.

Modelled on what Intel's compiler prints for the networks lava-dl ships (per-core tables with
AxonIn, NeuronGr, Neurons, Synapses, AxonMap, AxonMem, Cores; ``Violation ... SynMem`` lines;
see :mod:`beamnet_lava.deploy.limits` for every capacity and where it was read):

- one layer per core group, one neuron group per core (Intel's tables: one row per layer);
- a dense layer's neurons are split evenly (``ceil(N / k)`` per core). The number of cores
  ``k`` follows the compiler's visible policy: start at 1 and, while a core's resource
  exceeds its capacity, multiply ``k`` by ``ceil(use / capacity)`` of the worst resource
  (Intel's PilotNet log: SynMem 61440 / 12000 -> ``max_ratio=6``; then 12800 / 12000 on a
  6-core split -> 12 cores);
- a dense core's synaptic memory: each input axon holds a list of the core's synapses,
  ``ceil((n * (weight bits + delay bits + overhead) + header) / word)`` words (inferred
  constants; dense storage, zeros included: PilotNet's 27 %-dense layer costs what a full one
  would);
- a convolution is tiled ``(x, y, c)`` (Intel prints ``Conv(x, y, c)``): all channels and
  rows, columns in the largest power of two that keeps the tile under
  ``conv_tile_neurons``; its kernel is shared by the tile (weight sharing), so its synaptic
  memory is per kernel row, not per connection;
- an input layer with neurons (lava-dl's bias-driven ``input`` layers) is tiled like a conv.

What it does not know (stated where it is used): the synapse encodings Intel's compiler
chooses per layer (so conv synaptic memory is a rough estimate, within a word per kernel row
on PilotNet), AxonMem, and how several small layers might share a core.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from beamnet_lava.deploy.limits import limit

#: Resource names as Intel's per-core table heads them.
NEURONS, GROUPS, AXON_IN, AXON_MAP, SYN_MEM, AXON_LIST = (
    "Neurons", "NeuronGr", "AxonIn", "AxonMap", "SynMem", "SynMem/axon")
#: A conv's columns split although every resource would fit (Intel's tiles are powers of two).
POW2_TILE = "pow2 tile"


def capacities() -> dict[str, int]:
    return {NEURONS: limit("neurons_per_core"), GROUPS: limit("neuron_groups_per_core"),
            AXON_IN: limit("axon_in_per_core"), AXON_MAP: limit("axon_map_per_core"),
            SYN_MEM: limit("syn_mem_words"), AXON_LIST: limit("syn_words_per_axon")}


@dataclass(frozen=True)
class LayerSpec:
    """What the model needs of one layer (built from a NetX group by ``deploy.fit``).

    ``shape``: NetX order, ``(C, H, W)`` for conv / pool / input layers, ``(N,)`` for dense.
    ``inputs``: axons feeding one core of a dense layer (presynaptic neurons, plus the layer's
    own neurons when recurrent). ``weight_bits`` / ``delay_bits``: what each synapse stores.
    ``kernel``: ``(out, in / groups, kH, kW)`` of a conv or pool layer.
    """

    index: int
    kind: str
    shape: tuple[int, ...]
    inputs: int = 0
    weight_bits: int = 8
    delay_bits: int = 0
    kernel: tuple[int, int, int, int] | None = None

    @property
    def neurons(self) -> int:
        return math.prod(self.shape)


@dataclass
class LayerCores:
    """One layer's mapping, in the shape of Intel's per-core table (per-core columns are
    the heaviest core's; ``*_mean`` are ``total // cores``, which is what Intel's table prints)."""

    index: int
    kind: str
    neurons: int
    cores: int
    neurons_per_core: int
    neurons_per_core_mean: int
    tile: tuple[int, int, int] | None      # conv / input: Conv(x, y, c) as Intel prints it
    axon_in: int | None
    neuron_groups: int
    syn_mem: int                            # SynMem words on the heaviest core
    syn_mem_mean: int
    axon_map: int | None
    binding: str | None                     # the resource whose overflow set the core count
    utilization: dict[str, float] = field(default_factory=dict)   # heaviest core, of capacity
    splits: list[str] = field(default_factory=list)               # how the count was reached
    fits: bool = True


def _words_per_axon(n: int, spec: LayerSpec) -> int:
    bits = n * (spec.weight_bits + spec.delay_bits + limit("syn_overhead_bits"))
    return math.ceil((bits + limit("syn_axon_header_bits")) / limit("syn_word_bits")) if n else 0


def _dense_use(n: int, spec: LayerSpec) -> dict[str, int]:
    words = _words_per_axon(n, spec)
    return {NEURONS: n, GROUPS: 1, AXON_IN: spec.inputs, AXON_MAP: n,
            SYN_MEM: spec.inputs * words, AXON_LIST: words}


def _over(use: dict[str, int], cap: dict[str, int]) -> dict[str, float]:
    return {r: use[r] / cap[r] for r in use if use[r] > cap[r]}


def _dense(spec: LayerSpec) -> LayerCores:
    cap, total = capacities(), spec.neurons
    k, splits, binding, fits = 1, [], None, True
    while True:
        n = math.ceil(total / k)
        use = _dense_use(n, spec)
        over = _over(use, cap)
        if not over:
            break
        worst = max(over, key=over.get)
        ratio = math.ceil(over[worst])
        binding = worst
        splits.append(f"{k} core(s) of {n} neurons: {worst} {use[worst]} > {cap[worst]} "
                      f"(x{ratio})")
        if worst == AXON_IN or n == 1:      # splitting neurons cannot help
            fits = False
            splits.append(f"{worst} does not fit even one neuron per core")
            break
        k = min(k * ratio, total)
    k = math.ceil(total / n)                # no empty cores: ceil(N / k) per core, rest on the last
    sizes = [n] * (total // n) + ([total % n] if total % n else [])
    syn = [_dense_use(s, spec)[SYN_MEM] for s in sizes]
    return LayerCores(spec.index, spec.kind, total, k, n, total // k, None, spec.inputs, 1,
                      max(syn), sum(syn) // k, n, binding,
                      {r: round(v / cap[r], 4) for r, v in use.items()}, splits, fits)


def _conv_row_words(c: int, spec: LayerSpec) -> int:
    """SynMem words of one kernel row (one input channel at one kernel tap) for ``c`` output
    channels: weights packed in words plus a header word (rough: within a word per row of
    Intel's PilotNet tables)."""
    return math.ceil(c * spec.weight_bits / limit("syn_word_bits")) + limit("conv_row_header_words")


def _tiled(spec: LayerSpec) -> LayerCores:
    """Conv, pool and neuron-carrying input layers: Intel's ``Conv(x, y, c)`` tiles."""
    cap = capacities()
    ch, height, width = spec.shape[:3]
    rows = 0 if spec.kernel is None else spec.kernel[1] * spec.kernel[2] * spec.kernel[3]

    def syn(c: int) -> int:
        return rows * _conv_row_words(c, spec) if rows else 0

    x, y, c = 1 << (width.bit_length() - 1), height, ch
    splits, binding = [], None
    while x * y * c > limit("conv_tile_neurons") or syn(c) > cap[SYN_MEM]:
        what = NEURONS if x * y * c > limit("conv_tile_neurons") else SYN_MEM
        binding = what
        splits.append(f"tile Conv({x}, {y}, {c}): {what} "
                      f"{x * y * c if what == NEURONS else syn(c)} over "
                      f"{limit('conv_tile_neurons') if what == NEURONS else cap[SYN_MEM]}")
        if what == NEURONS and x > 1:
            x //= 2
        elif what == NEURONS and y > 1:
            y = math.ceil(y / 2)
        elif c > 1:
            c = math.ceil(c / 2)
        else:
            break
    fits = x * y * c <= limit("conv_tile_neurons") and syn(c) <= cap[SYN_MEM]
    if binding is None and x < width:
        binding = POW2_TILE
    k = math.ceil(width / x) * math.ceil(height / y) * math.ceil(ch / c)
    n = x * y * c
    use = {NEURONS: n, GROUPS: 1, SYN_MEM: syn(c)}
    return LayerCores(spec.index, spec.kind, spec.neurons, k, n, spec.neurons // k, (x, y, c),
                      None, 1, syn(c), syn(c), None, binding,
                      {r: round(v / cap[r], 4) for r, v in use.items()}, splits, fits)


def layer_cores(spec: LayerSpec) -> LayerCores:
    """The cores of one on-chip layer."""
    if spec.kind in ("dense", "dense_rec") or len(spec.shape) < 3:
        return _dense(spec)
    return _tiled(spec)


def chips(cores: int) -> int:
    return math.ceil(cores / limit("cores_per_chip")) if cores else 0
