"""Random streams as a contract: known answers, repeatability, order and batch independence."""
import numpy as np
import pytest
from scipy import special, stats

from riskmodel.kernels import distributions as d
from riskmodel.kernels.philox import (STREAM_IDIO, philox4x32_nb, seed_to_key, to_unit_nb, uniform2_nb,
                                      uniform_lane_nb)

from conftest import k_se, own_rate

# Random123 tests/kat_vectors (D. E. Shaw Research): counter (4 words), key (2 words) -> output
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


@pytest.mark.parametrize("ctr,key,want", KAT)
def test_philox_known_answers(ctr, key, want):
    assert tuple(int(x) for x in philox4x32_nb(*ctr, *key)) == want


def test_unit_mapping_stays_strictly_inside_zero_one():
    assert to_unit_nb(np.uint64(0), np.uint64(0)) == 0.5 / 2**52
    top = to_unit_nb(np.uint64(0xFFFFFFFF), np.uint64(0xFFFFFFFF))
    assert 0 < top < 1 and top == (2**52 - 0.5) / 2**52
    assert np.isfinite(d.ndtri_nb(top)) and np.isfinite(d.ndtri_nb(0.5 / 2**52))


def test_draws_repeat_and_do_not_depend_on_order():
    k0, k1 = seed_to_key(42)
    items = list(range(50))
    forward = [uniform_lane_nb(k0, k1, 7, STREAM_IDIO, i, 0) for i in items]
    backward = [uniform_lane_nb(k0, k1, 7, STREAM_IDIO, i, 0) for i in reversed(items)][::-1]
    assert forward == backward
    assert forward == [uniform_lane_nb(k0, k1, 7, STREAM_IDIO, i, 0) for i in items]
    # lanes of one block are the pair the block gives
    assert (forward[0], forward[1]) == uniform2_nb(k0, k1, 7, STREAM_IDIO, 0, 0)


def test_streams_sims_and_seeds_are_distinct():
    k0, k1 = seed_to_key(1)
    a = uniform2_nb(k0, k1, 0, 1, 0, 0)
    assert a != uniform2_nb(k0, k1, 1, 1, 0, 0)  # next simulation
    assert a != uniform2_nb(k0, k1, 0, 2, 0, 0)  # another stream
    assert a != uniform2_nb(k0, k1, 2**32, 1, 0, 0)  # sim index above 32 bits
    keys = {seed_to_key(s) for s in range(10_000)}
    assert len(keys) == 10_000
    with pytest.raises(ValueError):
        seed_to_key(-1)


def test_uniforms_and_normals_have_the_right_moments():
    k0, k1 = seed_to_key(3)
    n = 100_000
    u = np.array([uniform_lane_nb(k0, k1, s, STREAM_IDIO, 0, 0) for s in range(n)])
    assert abs(u.mean() - 0.5) < k_se() * np.sqrt(1 / 12 / n)
    z = np.array([d.ndtri_nb(x) for x in u])
    assert abs(z.mean()) < k_se() / np.sqrt(n)
    assert abs(z.var() - 1) < k_se() * np.sqrt(2 / n)
    own_rate(1e-4, "Kolmogorov-Smirnov")
    assert stats.kstest(u, "uniform").pvalue > 1e-4


def test_inverse_normal_and_t_cdf_match_scipy():
    p = np.concatenate([np.logspace(-300, -1, 200), np.linspace(0.01, 0.99, 99), 1 - np.logspace(-16, -1, 50)])
    got = np.array([d.ndtri_nb(x) for x in p])
    assert np.allclose(got, special.ndtri(p), rtol=2e-15, atol=0)
    xs = np.linspace(-30, 30, 241)
    for dof in (1.0, 2.5, 6.0, 30.0):
        got = np.array([d.t_cdf_nb(x, dof) for x in xs])
        assert np.allclose(got, stats.t.cdf(xs, dof), rtol=1e-12, atol=0)
    assert d.betainc_nb(2.0, 3.0, 0.4) == pytest.approx(special.betainc(2.0, 3.0, 0.4), rel=1e-14)


@pytest.mark.parametrize("shape", [0.4, 1.0, 3.0, 12.0])
def test_gamma_sampler_moments(shape):
    k0, k1 = seed_to_key(8)
    n = 40_000
    g = np.array([d.gamma_nb(shape, k0, k1, s, 6, 0, 0) for s in range(n)])
    assert abs(g.mean() - shape) < k_se() * np.sqrt(shape / n)
    # variance of the sample variance of a gamma: (mu4 - sigma^4) / n with mu4 = 3 k^2 + 6 k
    se_var = np.sqrt((3 * shape**2 + 6 * shape - shape**2) / n)
    assert abs(g.var() - shape) < k_se() * se_var


def test_beta_sampler_matches_its_distribution():
    k0, k1 = seed_to_key(9)
    a, b = 2.0, 5.0
    x = np.array([d.beta_nb(a, b, k0, k1, s, 6, 0) for s in range(20_000)])
    own_rate(1e-4, "Kolmogorov-Smirnov")
    assert stats.kstest(x, "beta", args=(a, b)).pvalue > 1e-4


def test_the_kernel_cache_is_riskmodels_own(tmp_path, monkeypatch):
    """riskmodel's kernels cache in their own directory; importing riskmodel leaves numba's process-wide
    CACHE_DIR alone, so another package's cached function lands where numba would put it anyway."""
    import importlib
    import os
    import sys

    from numba.core import config

    import riskmodel.kernels as k

    assert config.CACHE_DIR in ("", os.environ.get("NUMBA_CACHE_DIR", ""))
    assert any(p.startswith("kernels_") for p in os.listdir(k.CACHE_DIR))
    (tmp_path / "other_pkg_mod.py").write_text("from numba import njit\n\n@njit(cache=True)\ndef f(x):\n"
                                               "    return x + 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    mod = importlib.import_module("other_pkg_mod")
    assert mod.f(1) == 2
    assert not any(p.startswith(tmp_path.name) for p in os.listdir(k.CACHE_DIR))
    assert list((tmp_path / "__pycache__").glob("other_pkg_mod.f-*.nbi"))  # numba's own in-tree cache
    sys.modules.pop("other_pkg_mod", None)
