"""Stand-in for lava-loihi's neuro-core process model base (only its name is needed)."""


class AbstractNcProcessModel:
    pass
