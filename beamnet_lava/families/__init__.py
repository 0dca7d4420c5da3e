"""Model families: the registry (:mod:`.registry`) and the declared families (:mod:`.catalog`)."""
from beamnet_lava.families import catalog  # noqa: F401  (declares the families)
from beamnet_lava.families.registry import (HOOKS, STAGES, Family, Feature, families, family_of,
                                            family_of_file, get_family, implements, load, names,
                                            provide, register_family, register_hook)

__all__ = ["HOOKS", "STAGES", "Family", "Feature", "families", "family_of", "family_of_file",
           "get_family", "implements", "load", "names", "provide", "register_family", "register_hook"]
