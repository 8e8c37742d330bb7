"""Numba kernels: arrays in, arrays out. No pandas, no I/O, no global state.

Naming convention (kept in every kernel module):

- ``*_nb``   : a numba-compiled function (``njit(cache=True)``); callable from
  other kernels and from Python. With ``NUMBA_DISABLE_JIT=1`` each one runs as
  its plain-Python twin, which the test suite exercises for coverage.
- ``k0, k1`` : the two 32-bit words of the Philox key (derived from the seed).
- ``sim``    : the global simulation index (0-based, across all chunks).
- ``stream`` : a small integer naming what a draw is for (``STREAM_*`` in
  ``philox``); ``item`` and ``sub`` index draws inside a stream.
- ``n_*``    : counts; ``*_idx`` integer indices; ``*_ptr`` CSR row pointers.
- ``out_*``  : output arrays the kernel fills in place.
"""
