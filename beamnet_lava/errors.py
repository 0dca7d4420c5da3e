"""User-facing errors: the CLI prints their message on one line and exits 1."""


class BeamnetError(Exception):
    """A problem with the user's input that they can fix; the message says how."""


class Busy(BeamnetError):
    """An output is being written by another beamnet-lava command (its lock is held)."""


class LavaRunError(BeamnetError):
    """A Lava run failed (inside a child process, or it stopped making progress)."""


class BeamnetWarning(UserWarning):
    """Something the user may want to change (the run goes on); the CLI prints it as one line."""
