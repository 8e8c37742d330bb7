"""The two ways a kernel function is compiled.

- ``@helper``: every function that allocates nothing, i.e. all but the chunk
  drivers and a few reductions. It is compiled without numba's runtime
  (``_nrt=False``, the option numba's own unicode and sort helpers use), so
  the arrays it is given are borrowed. With the runtime, a call that LLVM does
  not inline increments and decrements the reference count of every array
  inside a tuple argument: about 200 ns a call for the model's tuple of 43
  arrays, paid several times per default and per claim, and the atomic
  counts contend between threads. That cost a 4-8x slowdown in 0.3-0.4
  (``benchmarks/README.md``, "Where the time went").
- ``@driver``: functions that allocate (scratch buffers, results) or run
  ``prange`` loops; ``@driver(parallel=True)`` for the chunk drivers.

Both cache their machine code on disk (``kernels.CACHE_DIR``).
"""
from numba import njit

helper = njit(cache=True, _nrt=False)


def driver(fn=None, *, parallel: bool = False):
    wrap = njit(cache=True, parallel=parallel)
    return wrap if fn is None else wrap(fn)
