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

Two compiler versions (``COMPILERS``), because lava-dl's notebooks were compiled by two:

- ``2022`` (Oxford, PilotNet; the default): SynMem 12000 words, the even split above;
- ``2024`` (MNIST; YOLO-KP's tables share its format): the same synapse encoding (its
  Synapses percentages are this model's words over 16000), SynMem 16000 words, a Total of
  20000 units per core, and a dense layer filled core by core: as many neurons as keep
  SynMem within ``syn_fill_percent_2024`` of it, the rest on the last core (MNIST: 50 + 50
  + 28 of 128; the 80 % is fitted to that one split). Its table prints one full core's
  figures, where the 2022 table prints ``total // cores``: ``table_neurons`` /
  ``table_syn_mem`` are what each would print.

What it does not know (stated where it is used): the synapse encodings Intel's compiler
chooses per layer (so conv synaptic memory is a rough estimate, within a word per kernel row
on PilotNet), AxonMem, how several small layers might share a core, and how the 2024
compiler tiles convolutions (the 2022 tile rule is used with its capacities).
"""
from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

from beamnet_lava.deploy.limits import limit

#: Resource names as Intel's per-core table heads them.
NEURONS, GROUPS, AXON_IN, AXON_MAP, SYN_MEM, AXON_LIST, TOTAL = (
    "Neurons", "NeuronGr", "AxonIn", "AxonMap", "SynMem", "SynMem/axon", "Total")
#: A conv's columns split although every resource would fit (Intel's tiles are powers of two).
POW2_TILE = "pow2 tile"

#: The versions of Intel's compiler the model reproduces, and whose output shows each.
COMPILERS = {
    "2022": "the compiler of lava-dl's Oxford (2022-09) and PilotNet (2022-10, 2023-01) "
            "notebooks ('Violation ... SynMem' log lines, per-core table in counts)",
    "2024": "the compiler of lava-dl's MNIST notebook (2024-04; 'Partitioning converged', "
            "per-core table in percentages, as YOLO-KP's)",
}
DEFAULT_COMPILER = "2022"


def check_compiler(compiler: str) -> str:
    if compiler not in COMPILERS:
        raise ValueError(f"unknown compiler {compiler!r}; the model knows {', '.join(COMPILERS)}")
    return compiler


def capacities(compiler: str = DEFAULT_COMPILER) -> dict[str, int]:
    cap = {NEURONS: limit("neurons_per_core"), GROUPS: limit("neuron_groups_per_core"),
           AXON_IN: limit("axon_in_per_core"), AXON_MAP: limit("axon_map_per_core"),
           SYN_MEM: limit("syn_mem_words"), AXON_LIST: limit("syn_words_per_axon")}
    if check_compiler(compiler) == "2024":
        cap.update({SYN_MEM: limit("syn_mem_words_2024"), TOTAL: limit("core_total_2024")})
    return cap


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
    compiler: str = DEFAULT_COMPILER
    table_neurons: int = 0                  # what the compiler's table prints for the row:
    table_syn_mem: int = 0                  # 2022 dense: total // cores; otherwise the heaviest

    def __post_init__(self):
        mean = self.compiler == "2022" and self.tile is None
        self.table_neurons = self.neurons_per_core_mean if mean else self.neurons_per_core
        self.table_syn_mem = self.syn_mem_mean if mean else self.syn_mem


def _words_per_axon(n: int, spec: LayerSpec) -> int:
    bits = n * (spec.weight_bits + spec.delay_bits + limit("syn_overhead_bits"))
    return math.ceil((bits + limit("syn_axon_header_bits")) / limit("syn_word_bits")) if n else 0


def _dense_use(n: int, spec: LayerSpec, compiler: str = DEFAULT_COMPILER) -> dict[str, int]:
    words = _words_per_axon(n, spec)
    use = {NEURONS: n, GROUPS: 1, AXON_IN: spec.inputs, AXON_MAP: n,
           SYN_MEM: spec.inputs * words, AXON_LIST: words}
    if compiler == "2024":                  # its Total column: the sum of the others (AxonMem 0)
        use[TOTAL] = n + 1 + spec.inputs + n + spec.inputs * words
    return use


def _over(use: dict[str, int], cap: dict[str, int]) -> dict[str, float]:
    return {r: use[r] / cap[r] for r in use if use[r] > cap[r]}


def _dense(spec: LayerSpec, compiler: str = DEFAULT_COMPILER) -> LayerCores:
    if compiler == "2024":
        return _dense_fill(spec)
    cap, total = capacities(compiler), spec.neurons
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


def _dense_fill(spec: LayerSpec) -> LayerCores:
    """The 2024 compiler: each core takes the most neurons that keep every resource within
    its capacity and SynMem within ``syn_fill_percent_2024`` of its own; the rest go on the
    last core (MNIST: 50 + 50 + 28)."""
    cap, total = capacities("2024"), spec.neurons
    target = cap[SYN_MEM] * limit("syn_fill_percent_2024") // 100
    room = dict(cap, **{SYN_MEM: target})

    def over(n: int) -> dict[str, float]:
        return _over(_dense_use(n, spec, "2024"), room)

    # every resource grows with n: the largest n that fits, by bisection
    n = bisect.bisect_left(range(1, min(total, cap[NEURONS]) + 1), True, key=lambda m: bool(over(m)))
    splits, binding, fits = [], None, n > 0
    if n < total:
        worst = over(n + 1)                 # not empty: n + 1 did not fit
        binding = max(worst, key=worst.get)
        if n:
            whole = _dense_use(total, spec, "2024")
            w = max(over(total), key=over(total).get)
            pct = f" ({limit('syn_fill_percent_2024')} % of {cap[SYN_MEM]})" if w == SYN_MEM else ""
            nxt = _dense_use(n + 1, spec, "2024")
            splits += [f"fill: {total} neurons take {w} {whole[w]} > {room[w]}{pct}",
                       f"{n} neurons per core ({binding} {_dense_use(n, spec, '2024')[binding]}"
                       f"; {n + 1} would take {nxt[binding]} > {room[binding]})"]
        else:
            splits.append(f"{binding} does not fit even one neuron per core")
    n = max(n, 1)                           # no fit: one neuron per core, reported as a failure
    full, rest = divmod(total, n)
    k, use = full + (rest > 0), _dense_use(n, spec, "2024")
    syn_rest = _dense_use(rest, spec, "2024")[SYN_MEM] if rest else 0
    return LayerCores(spec.index, spec.kind, total, k, n, total // k, None, spec.inputs, 1,
                      use[SYN_MEM], (full * use[SYN_MEM] + syn_rest) // k, n, binding,
                      {r: round(v / cap[r], 4) for r, v in use.items()}, splits, fits, "2024")


def _conv_row_words(c: int, spec: LayerSpec) -> int:
    """SynMem words of one kernel row (one input channel at one kernel tap) for ``c`` output
    channels: weights packed in words plus a header word (rough: within a word per row of
    Intel's PilotNet tables)."""
    return math.ceil(c * spec.weight_bits / limit("syn_word_bits")) + limit("conv_row_header_words")


def _tiled(spec: LayerSpec, compiler: str = DEFAULT_COMPILER) -> LayerCores:
    """Conv, pool and neuron-carrying input layers: Intel's ``Conv(x, y, c)`` tiles (the 2022
    compiler's rule; for the 2024 compiler with its capacities, not checked against it)."""
    cap = capacities(compiler)
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
                      {r: round(v / cap[r], 4) for r, v in use.items()}, splits, fits, compiler)


def layer_cores(spec: LayerSpec, compiler: str = DEFAULT_COMPILER) -> LayerCores:
    """The cores of one on-chip layer under one of ``COMPILERS``."""
    check_compiler(compiler)
    if spec.kind in ("dense", "dense_rec") or len(spec.shape) < 3:
        return _dense(spec, compiler)
    return _tiled(spec, compiler)


def chips(cores: int) -> int:
    return math.ceil(cores / limit("cores_per_chip")) if cores else 0
