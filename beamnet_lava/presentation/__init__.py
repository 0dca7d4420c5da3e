"""What the command line shows (present.py): tables, lines, ``--json`` output, one-line errors."""
