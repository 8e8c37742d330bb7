"""Command line: a thin layer of click (``commands``) over plain ``<verb>_main(**kwargs)`` functions
(``verbs``) and what they share (``plumbing``).

Exit codes: 0 success, 2 invalid input or usage (nothing simulated or written).
Tables go to stdout; progress, notices and errors to stderr. Importing it is
light (click only): ``riskmodel --help`` loads no numba, scipy or pandas.
"""
from ..inputs.paths import bundled_sample
from .commands import cli, main

__all__ = ["bundled_sample", "cli", "main"]
