"""Stand-in for lava-loihi's C process model base (only its name is needed)."""


class CLoihiProcessModel:
    pass
