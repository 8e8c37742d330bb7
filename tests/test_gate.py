"""The performance gate's verdict (its timings are the benchmark's business; its rule is tested here)."""
import sys

import pytest
from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
import gate  # noqa: E402


def _fake(monkeypatch, scale: float):
    lib = {k: v * scale for k, v in gate.TARGETS.items() if not k.startswith("cli_")}
    cli = {k: v * scale for k, v in gate.TARGETS.items() if k.startswith("cli_")}
    monkeypatch.setattr(gate, "library_figures", lambda: {**lib, "_seconds": {}})
    monkeypatch.setattr(gate, "cli_figures", lambda: {**cli, "_seconds": {}})


@pytest.mark.parametrize("scale, code", [(1.0, 0), (0.6, 0), (0.49, 1)])
def test_the_gate_fails_below_half_of_a_target_only(monkeypatch, capsys, scale, code):
    _fake(monkeypatch, scale)
    assert gate.main() == code
    out = capsys.readouterr()
    assert ("FAILED" in out.err) == (code == 1)
    if code:
        assert all(k in out.err for k in gate.TARGETS)


def test_one_figure_below_half_fails_the_gate(monkeypatch, capsys):
    _fake(monkeypatch, 1.0)
    lib = gate.library_figures()
    monkeypatch.setattr(gate, "library_figures", lambda: {**lib, "kernel_vs_numpy": gate.TARGETS["kernel_vs_numpy"] * 0.4})
    assert gate.main() == 1
    assert "kernel_vs_numpy" in capsys.readouterr().err
