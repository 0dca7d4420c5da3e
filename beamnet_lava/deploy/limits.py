"""Loihi 2 numbers used by the fit check and the core model, each with its source.

Three kinds (``how``): ``source``: read in lava-nc / lava-dl 0.10 / 0.6 source (file:line,
paths relative to ``site-packages/lava``); ``compiler output``: printed by Intel's compiler in
the stored outputs of lava-dl's tutorial notebooks (lava-dl commit d825ac5; ``NB_*`` below say
which notebook); ``inferred``: not printed anywhere public, chosen so that the core model
(:mod:`beamnet_lava.deploy.cores`) reproduces those outputs; results that depend on them are
estimates. Nothing here was measured on a chip by this project.
"""
from __future__ import annotations

from dataclasses import dataclass

from beamnet_lava.neurons import fixed_point


#: Intel's compiler output in lava-dl's notebooks (tutorials/lava/lib/dl/netx/...).
NB_OXFORD = "lava-dl tutorials/lava/lib/dl/netx/oxford/run.ipynb (compiler log and per-core table)"
NB_MNIST = "lava-dl tutorials/lava/lib/dl/netx/mnist/run.ipynb (per-core utilization table)"
NB_PILOTNET = ("lava-dl tutorials/lava/lib/dl/netx/pilotnet_snn/benchmark.ipynb and "
               "pilotnet_sdnn/benchmark.ipynb (compiler logs and per-core tables)")
NB_YOLO = "lava-dl tutorials/lava/lib/dl/netx/yolo_kp/run.ipynb (per-core utilization table)"
#: The same compiler's table in counts (with its Total column) in lava-optimization's tutorials.
NB_QUBO = ("lava-nc/lava-optimization (commit 39ab701) tutorials/tutorial_QUBO_solver.ipynb (per-core utilization "
           "table in counts: Total 206 = AxonIn 100 + NeuronGr 1 + Neurons 2 + Synapses 100 + "
           "AxonMap 3 + AxonMem 0; 1071 = 200 + 1 + 100 + 370 + 400 + 0)")


@dataclass(frozen=True)
class Limit:
    value: int
    what: str
    source: str
    how: str = "source"          # source | compiler output | inferred

    @property
    def documented(self) -> bool:
        return self.how == "source"


LIMITS: dict[str, Limit] = {
    "max_delay": Limit(62, "synaptic delay through NetX (steps); larger delays are clamped "
                       "with only a warning", "lib/dl/netx/hdf5.py:427-430 (clip to 62); "
                       "proc/dense/models.py:297-298 (Loihi 2: 6-bit delays)"),
    "weight_min": Limit(-256, "weight mantissa, mixed sign, 8 bits + sign",
                        "utils/weightutils.py:110 (_validate_weights); "
                        "proc/dense/models.py:87 (clip_weights num_bits=8)"),
    "weight_max": Limit(255, "weight mantissa, mixed sign", "utils/weightutils.py:112"),
    "state_bits": Limit(24, "neuron state u, v (signed)", "proc/lif/models.py:80-81, 100-101"),
    "decay_bits": Limit(12, "current / voltage decays du, dv (4096 = no decay)",
                        "proc/lif/models.py:82-83, 92-93"),
    "vth_max": Limit(fixed_point.VTH_MAX, "threshold mantissa vth (unsigned 17 bits)",
                     "proc/lif/models.py:257"),
    "bias_min": Limit(fixed_point.BIAS_MIN, "bias mantissa (signed 13 bits)", "proc/lif/models.py:254"),
    "bias_max": Limit(fixed_point.BIAS_MAX, "bias mantissa (signed 13 bits)", "proc/lif/models.py:254"),
    "graded_bits": Limit(24, "graded spike payload", "proc/graded/models.py:48-49; "
                         "proc/sdn/models.py:174-175"),
    "cores_per_chip": Limit(120, "virtual neuro-cores per Loihi 2 chip in Lava's mapper",
                            "magma/compiler/subcompilers/constants.py:10 (NUM_VIRTUAL_CORES_L3); "
                            "magma/compiler/mapper.py:85"),
    "neurons_per_core": Limit(4096, "neurons per core",
                              f"{NB_MNIST}: 10 neurons = 0.24 %, 64 = 1.56 %; {NB_YOLO}: "
                              "Conv(8, 7, 64) = 3584 neurons = 87.52 %", "compiler output"),
    "neuron_groups_per_core": Limit(8, "neuron groups (one per layer) per core",
                                    f"{NB_MNIST}: one group = 12.50 %; {NB_YOLO}: two = 25.00 %",
                                    "compiler output"),
    "syn_mem_words": Limit(12000, "synaptic memory (SynMem) per core, in the compiler's words "
                           "(2022 compiler)",
                           f"{NB_OXFORD}, {NB_PILOTNET}: \"Violation ... reg_name='SynMem' "
                           "allocation=... registers=12000\"", "compiler output"),
    "axon_in_per_core": Limit(16000, "input axons (AxonIn) per core",
                              f"{NB_MNIST}: 64 axons = 0.40 %, 128 = 0.80 %, 784 = 4.90 % "
                              "(16000 is the round number these percentages give)", "inferred"),
    "axon_map_per_core": Limit(16000, "output axon map entries (AxonMap) per core",
                               f"{NB_MNIST}: 10 = 0.06 %, 50 = 0.31 %, 64 = 0.40 %", "inferred"),
    "syn_word_bits": Limit(64, "bits per SynMem word", "inferred: with the two constants below it "
                           f"gives every dense allocation Intel printed ({NB_OXFORD}: 16128, "
                           f"16200; {NB_PILOTNET}: 61440, 66560, 12800, per-core means 7253, 1300, "
                           "1500, 150, 10)", "inferred"),
    "syn_overhead_bits": Limit(12, "bits each dense synapse takes beyond its weight bits",
                               "inferred (fitted with syn_word_bits, see there)", "inferred"),
    "syn_axon_header_bits": Limit(8, "bits of one axon's synapse list header on a core",
                                  "inferred: any value 2..8 reproduces the same allocations "
                                  f"(8 also the per-core mean 5400 of {NB_OXFORD})", "inferred"),
    "syn_words_per_axon": Limit(32, "SynMem words one axon's synapse list may take on one core",
                                f"inferred: {NB_OXFORD} splits its 256-neuron layer over 3 cores "
                                "although 2 would fit SynMem (41 words per axon each); 100 "
                                "neurons (32 words) fit on one", "inferred"),
    "conv_row_header_words": Limit(1, "SynMem words a shared conv kernel row (one input channel "
                                   "at one tap) takes beyond its packed weights",
                                   f"inferred: gives 7 of the 10 conv rows of {NB_PILOTNET} "
                                   "exactly, the others within one word per row", "inferred"),
    "conv_tile_neurons": Limit(4095, "most neurons of one conv tile on a core",
                               f"inferred: {NB_PILOTNET} tiles Conv(8, 4, 64) = 2048 where "
                               "Conv(16, 4, 64) = 4096 would fit 4096 neurons; largest seen "
                               f"3584 ({NB_YOLO})", "inferred"),
    # --- the 2024 compiler (MNIST's notebook) ---
    "syn_mem_words_2024": Limit(16000, "SynMem per core, in words, of the 2024 compiler (the "
                                "denominator of its Synapses percentages)",
                                f"inferred: {NB_MNIST} prints Synapses 1.60 / 16.80 / 78.40 %, "
                                "exactly 256 / 2688 / 12544 of 16000: the words this model's "
                                "synapse encoding (fitted to the 2022 compiler) gives for 10, 64 "
                                "and 50 neurons per core; 16000 is also the AxonIn and AxonMap "
                                "denominator. Read against 12000 the rows would need 9408 / "
                                "2016 / 192 words: no per-axon list of dense synapses gives "
                                "2016 (not a multiple of the layer's 128 axons), nor one of its "
                                "non-zero synapses (32, 64 or 128-bit words, 4-32 bits per "
                                "synapse, 0-64 header bits: none gives both 2016 and 192)",
                                "inferred"),
    "core_total_2024": Limit(20000, "the 2024 compiler's Total per core: AxonIn + NeuronGr + "
                             "Neurons + SynMem + AxonMap + AxonMem",
                             f"inferred: {NB_QUBO}; the Total percentages of {NB_MNIST} and "
                             f"{NB_YOLO} (13 rows) are that sum over 20000 within rounding",
                             "inferred"),
    "syn_fill_percent_2024": Limit(80, "the 2024 compiler fills a dense layer's cores up to this "
                                   "percentage of SynMem, the rest on the last core",
                                   f"inferred, a free constant fitted to one number: {NB_MNIST} "
                                   "puts 50 of 128 neurons (12544 words, 78.40 %) on a core where "
                                   "51 would take 13328 (83.30 %); any value from 78.4 to 83.2 "
                                   "gives the same. Not a general SynMem ceiling: the conv tiles "
                                   f"of {NB_YOLO} reach 86.40 %", "inferred"),
}


def limit(name: str) -> int:
    return LIMITS[name].value


def table() -> list[dict]:
    """The limits as JSON-able rows (for reports and docs)."""
    return [{"name": k, "value": v.value, "what": v.what, "source": v.source, "how": v.how,
             "documented": v.documented} for k, v in LIMITS.items()]
