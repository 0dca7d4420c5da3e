"""Python 3.11 compatibility shim for lava-nc 0.10 (see docs/INSTALL.md).

lava-nc 0.10 declares ``Requires-Python <3.11``. On 3.11 importing
``lava.magma.compiler.var_model`` fails with ``ValueError: mutable default
<class '...ByteEncoder'> for field x is not allowed``: Python 3.11 rejects a
dataclass default whose class is unhashable, and an ``eq=True`` dataclass such as
``ByteEncoder`` has ``__hash__ = None``.

:func:`apply` imports that one module with ``dataclasses.dataclass`` wrapped so
that non-frozen ``eq`` dataclasses *defined in that module* get
``unsafe_hash=True``, then restores the original decorator. Nothing inside
site-packages is edited and no other module's dataclasses are touched. It is a
no-op on Python < 3.11 and when the module is already imported.

``import beamnet_lava`` calls :func:`apply`, so every entry point of the package
(CLI, library, tests) is covered before any lava import.
"""
from __future__ import annotations

import dataclasses
import importlib
import sys

TARGET_MODULE = "lava.magma.compiler.var_model"


def needed() -> bool:
    """True when this interpreter rejects lava-nc 0.10's dataclass defaults."""
    return sys.version_info >= (3, 11)


def _hashable_dataclass(original):
    def wrapper(cls=None, /, **kwargs):
        def decorate(klass):
            if (klass.__module__ == TARGET_MODULE and kwargs.get("eq", True)
                    and not kwargs.get("frozen", False)):
                return original(klass, **{**kwargs, "unsafe_hash": True})
            return original(klass, **kwargs)

        return decorate if cls is None else decorate(cls)

    return wrapper


def apply() -> bool:
    """Import lava's ``var_model`` under the shim. Returns True if it patched.

    Raises nothing when lava-nc is not installed (the training side of the
    package does not need it); the import error then surfaces where lava is used.
    """
    if not needed() or TARGET_MODULE in sys.modules:
        return False
    original = dataclasses.dataclass
    dataclasses.dataclass = _hashable_dataclass(original)
    try:
        importlib.import_module(TARGET_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name is None or not exc.name.startswith("lava"):
            raise
        return False
    finally:
        dataclasses.dataclass = original
    return True
