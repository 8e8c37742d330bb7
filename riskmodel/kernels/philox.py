"""Keyed counter-based random streams: Philox4x32-10 (Salmon et al., SC'11).

A draw is a pure function of ``(key, counter)``; the simulator fixes the key
from the seed and spells the counter as ``(sim, stream, item, sub)``. So the
value used for, say, obligor ``j``'s idiosyncratic shock in simulation ``sim``
does not depend on the thread that computes it, on the chunk it falls in, or
on the order in which anything else was drawn. That is the reproducibility
contract (tested with the Random123 known-answer vectors, and for order and
batch independence).

Counter layout (four 32-bit words):
    c0 = sim & 0xffffffff
    c1 = (sim >> 32) & 0xffff | stream << 16
    c2 = item
    c3 = sub
One block gives four 32-bit words, i.e. two 52-bit uniforms.
"""
import numpy as np

from .jit import helper

_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = np.uint64(0x9E3779B9)
_W1 = np.uint64(0xBB67AE85)
_MASK32 = np.uint64(0xFFFFFFFF)
_MASK16 = np.uint64(0xFFFF)
_S16 = np.uint64(16)
_S32 = np.uint64(32)
_S6 = np.uint64(6)

# What each stream is for. Values are part of the reproducibility contract:
# changing one changes every number the simulator produces.
STREAM_FACTOR = 1  # systematic factors, item = factor index // 2
STREAM_MIXING = 2  # Student-t chi-square mixing variable, sub = attempt
STREAM_IDIO = 3  # idiosyncratic shocks, item = latent index // 2
STREAM_EVENT_EFFECT = 4  # importer default caused by a country event
STREAM_CALL = 5  # per cover: (call given default, call without default)
STREAM_LGD = 6  # per cover: beta LGD, sub = gamma attempts
STREAM_GROUP = 7  # sparse path: skips to a latent group's candidates, item = group, sub = candidate // 2
STREAM_EVENT_GROUP = 8  # sparse path: importers hit by a country event, item = segment, sub = candidate
STREAM_CALL_GROUP = 9  # sparse path: calls without default, item = cover group, sub = candidate
STREAM_STRATUM = 10  # importance sampling: position inside the stratum of the shift direction
STREAM_IS_CLASS = 11  # importance sampling: defaults of a class, item = class, sub = candidate
STREAM_GROUP_SHOCK = 12  # sparse path: a candidate's shock below its group's threshold, index = candidate, sub = group
STREAM_IS_FORCED = 13  # importance sampling: the shock of a country event its component forces, index = latent
STREAM_DELIVERY = 14  # per cover: a country event makes delivery impossible and calls the guarantee


@helper
def philox4x32_nb(c0, c1, c2, c3, k0, k1):
    """Philox4x32 with 10 rounds. All arguments are uint64 holding 32-bit words."""
    c0 = np.uint64(c0)
    c1 = np.uint64(c1)
    c2 = np.uint64(c2)
    c3 = np.uint64(c3)
    k0 = np.uint64(k0)
    k1 = np.uint64(k1)
    for r in range(10):
        if r > 0:
            k0 = (k0 + _W0) & _MASK32
            k1 = (k1 + _W1) & _MASK32
        p0 = _M0 * c0
        p1 = _M1 * c2
        hi0 = p0 >> _S32
        lo0 = p0 & _MASK32
        hi1 = p1 >> _S32
        lo1 = p1 & _MASK32
        c0 = hi1 ^ c1 ^ k0
        c1 = lo1
        c2 = hi0 ^ c3 ^ k1
        c3 = lo0
    return c0, c1, c2, c3


@helper
def block_nb(k0, k1, sim, stream, item, sub):
    """The four 32-bit words for counter ``(sim, stream, item, sub)``."""
    s = np.uint64(sim)
    c0 = s & _MASK32
    c1 = ((s >> _S32) & _MASK16) | (np.uint64(stream) << _S16)
    return philox4x32_nb(c0, c1, np.uint64(item) & _MASK32, np.uint64(sub) & _MASK32, k0, k1)


@helper
def to_unit_nb(a, b):
    """Two 32-bit words -> a uniform on the 52-bit grid (k + 0.5) / 2**52, strictly inside (0, 1).

    52 bits, not 53: k + 0.5 must be exact in a double, else the top value rounds to 1.0.
    """
    return (np.float64((a >> _S6) * np.uint64(67108864) + (b >> _S6)) + 0.5) * (1.0 / 4503599627370496.0)


@helper
def uniform2_nb(k0, k1, sim, stream, item, sub):
    """Two independent uniforms on (0, 1) from one Philox block."""
    w0, w1, w2, w3 = block_nb(k0, k1, sim, stream, item, sub)
    return to_unit_nb(w0, w1), to_unit_nb(w2, w3)


@helper
def uniform_lane_nb(k0, k1, sim, stream, index, sub):
    """Uniform number ``index`` of a stream: lane ``index % 2`` of block ``index // 2``."""
    u0, u1 = uniform2_nb(k0, k1, sim, stream, index >> 1, sub)
    if index & 1:
        return u1
    return u0


def seed_to_key(seed: int) -> tuple[int, int]:
    """SplitMix64 of the seed, split into the two 32-bit Philox key words.

    Hashing spreads nearby seeds (1, 2, 3, ...) over the key space, so runs with
    consecutive seeds share no counter-key pairs.
    """
    if not (0 <= int(seed) < 2**63):
        raise ValueError(f"seed must be an integer in [0, 2**63), got {seed!r}")
    z = (int(seed) + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    z ^= z >> 31
    return z & 0xFFFFFFFF, z >> 32
