"""How much memory a run needs, and whether this machine has it.

A run keeps a few numbers per simulation for the whole run (the tail
estimators need every simulation's loss); everything else is bounded by the
chunk. So the need is simulations x bytes per simulation, known before
anything is compiled or allocated, and a run that cannot fit is refused then,
not after minutes of work.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..inputs.errors import InputError, Problem

# bytes kept per simulation for the whole run
PER_SIMULATION = {
    "losses": 3 * 8,  # loss by component
    "counts": 4 * 4,  # defaults by type, calls
    "index": 8,  # the simulations' indices
    "estimators": 48,  # total loss, its sort order and sorted copy, tail weights
    "importance": 4 * 8,  # weights (kernel and stratified), design cells, cell correction
    "lifetime": 2 * 8,  # claims paid and present value of each simulation
}
HEADROOM = 0.8  # of the available memory a run may plan to use


def per_simulation(importance: bool, lifetime: bool, n_segments: int, n_periods: int, spill_bytes: int,
                   n_sims: int) -> dict[str, int]:
    """Bytes kept per simulation, by what keeps them."""
    need = {k: v for k, v in PER_SIMULATION.items() if k not in ("importance", "lifetime")}
    if importance:
        need["importance"] = PER_SIMULATION["importance"]
    if lifetime:
        need["lifetime"] = PER_SIMULATION["lifetime"]
        if n_periods * n_sims * 8 <= spill_bytes:  # past it, the flows live in a temporary file
            need["cash flows"] = 2 * n_periods * 8
    if n_segments:
        need["segments"] = n_segments * 8
    return need


def available() -> int | None:
    """Bytes this process can still use: the smaller of the system's available memory and a cgroup limit."""
    found = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
    except OSError:
        pass
    for limit, usage in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                         ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            cap = Path(limit).read_text().strip()
            if cap.isdigit() and int(cap) < 1 << 60:
                found.append(int(cap) - int(Path(usage).read_text().strip()))
        except OSError:
            continue
    if not found and hasattr(os, "sysconf"):
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError):
            pass
    return min(found) if found else None


def check_fits(n_sims: int, need: dict[str, int], source: str = "scenario") -> None:
    """Refuse a run whose per-simulation arrays would not fit in the memory this machine has (``need``: bytes per
    simulation, from ``per_simulation``)."""
    have = available()
    per = sum(need.values())
    total = n_sims * per
    if have is None or total <= HEADROOM * have:
        return
    most = int(HEADROOM * have // per)
    parts = ", ".join(f"{k} {v}" for k, v in need.items())
    raise InputError([Problem(source, "simulation",
                              f"{n_sims:,} simulations need about {_gib(total)} of memory ({per} bytes each: {parts}); "
                              f"this machine has {_gib(have)} available. Lower n_sims to at most {most:,}"
                              + ("" if "importance" in need else ", or use importance sampling (method = "
                                 "\"importance\"), which reaches the same precision in the tail with far fewer "
                                 "simulations"), "n_sims", value=n_sims)], source)


def _gib(b: float) -> str:
    return f"{b / 2**30:,.1f} GiB"
