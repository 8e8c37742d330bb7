"""Numba kernels: arrays in, arrays out. No pandas, no I/O, no global state (the on-disk cache of these
kernels is placed by a locator that matches their files only).

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

from numba.core import caching as _caching


def _kernel_source_hash(kernels: _Path = _Path(__file__).parent) -> str:
    """Hash of the kernels' sources and of the package's module names.

    The names count because numba's cache index pickles the kernels' argument
    types (the model's named tuples) by module path: after a module moves, an
    index written before the move cannot even be read.
    """
    h = _hashlib.sha256()
    for f in sorted(kernels.glob("*.py")):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    package = kernels.parent
    for f in sorted(package.rglob("*.py")):
        h.update(f.relative_to(package).as_posix().encode())
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
_KERNELS = _os.path.dirname(_os.path.abspath(__file__))


class _KernelCacheLocator(_caching.UserProvidedCacheLocator):
    """Caches riskmodel's kernels, and only them, in ``CACHE_DIR``: setting numba's process-wide
    ``config.CACHE_DIR`` sent every other package's cached functions there too."""

    def __init__(self, py_func, py_file):
        super().__init__(py_func, py_file)
        self._cache_path = _os.path.join(CACHE_DIR, self.get_suitable_cache_subpath(py_file))

    @classmethod
    def from_function(cls, py_func, py_file):
        if _os.path.dirname(_os.path.abspath(py_file)) != _KERNELS:
            return None  # someone else's function: numba's own locators decide
        return _caching._SourceFileBackedLocatorMixin.from_function.__func__(cls, py_func, py_file)


if _KernelCacheLocator not in _caching.CacheImpl._locator_classes:  # must precede the kernels' decorations
    _caching.CacheImpl._locator_classes.insert(0, _KernelCacheLocator)
