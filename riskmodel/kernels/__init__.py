"""Numba kernels: arrays in, arrays out. No pandas, no I/O, no global state.

Naming convention (kept in every kernel module):

- ``*_nb``   : a numba-compiled function (``@helper`` or ``@driver``, see ``jit``); callable from
  other kernels and from Python. With ``NUMBA_DISABLE_JIT=1`` each one runs as
  its plain-Python twin, which the test suite exercises for coverage.
- ``k0, k1`` : the two 32-bit words of the Philox key (derived from the seed).
- ``sim``    : the global simulation index (0-based, across all chunks).
- ``stream`` : a small integer naming what a draw is for (``STREAM_*`` in
  ``philox``); ``item`` and ``sub`` index draws inside a stream.
- ``n_*``    : counts; ``*_idx`` integer indices; ``*_ptr`` CSR row pointers.
- ``out_*``  : output arrays the kernel fills in place.
"""

import hashlib as _hashlib
import os as _os
from pathlib import Path as _Path

from numba.core import config as _numba_config


def _kernel_source_hash() -> str:
    h = _hashlib.sha256()
    for f in sorted(_Path(__file__).parent.glob("*.py")):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _cache_dir() -> str:
    # numba keys a cached function on its own file only: a kernel whose callee in
    # another module changed would load stale machine code. One directory per
    # hash of all kernel sources makes any change invalidate every kernel.
    base = _os.environ.get("NUMBA_CACHE_DIR") or _os.path.join(
        _os.environ.get("XDG_CACHE_HOME") or _os.path.join(_os.path.expanduser("~"), ".cache"), "riskmodel", "numba")
    return _os.path.join(base, _kernel_source_hash())


KERNEL_SOURCE_HASH = _kernel_source_hash()
CACHE_DIR = _cache_dir()
_numba_config.CACHE_DIR = CACHE_DIR  # must precede the decorations in jit.py and the kernel modules
