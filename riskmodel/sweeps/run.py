"""Run a sweep: points cut into pieces of simulations, pieces run anywhere, points merged exactly.

A piece is a range of one point's simulations. Draws are keyed by (seed,
simulation), so a piece computed on any worker, in any order, gives the
same losses, and a point's pieces concatenated in simulation order are the
whole run's: the metrics are those of ``simulate()`` with the point's seed,
bit for bit, whatever the executor, the number of workers or the split.

Executors: ``local`` (this machine: a pool of processes, or this process
when ``workers=1``) and ``dask`` (``dask.distributed``: a LocalCluster by
default, or a running scheduler given by address). The driver writes each
point to the store as soon as its last piece arrives.
"""
from __future__ import annotations

import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager

import numpy as np

from .spec import Sweep
from .store import Store, point_table

EXECUTORS = ("local", "dask")

# worker-side caches: a worker compiles a (portfolio, scenario) once for all its pieces
_MODELS: dict = {}


def run_piece(portfolio, portfolio_sha: str, scenario_json: str, first: int, n: int) -> dict:
    """Simulations ``first .. first + n - 1`` of one point: losses by component, raw weights and cells."""
    from ..engine.chunks import is_design, run_chunks, run_chunks_is
    from ..engine.run import resolve_method, split_losses
    from ..inputs.scenario import Scenario
    from ..model.compile import compile_model

    key = (portfolio_sha, scenario_json)
    if key not in _MODELS:
        if len(_MODELS) > 8:
            _MODELS.clear()
        sc = Scenario.model_validate_json(scenario_json)
        model = compile_model(portfolio, sc)
        how = resolve_method(sc)
        params = is_design(model, sc)[0] if how == "importance" else None
        _MODELS[key] = (sc, model, how, params)
    sc, model, how, params = _MODELS[key]
    if how == "importance":
        loss, _, weight, cells = run_chunks_is(model, params, sc.simulation.seed, n, first_sim=first)
        loss = split_losses(loss)[0]
        return {"loss": loss, "weight": weight, "cells": cells, "n_cells": params.n_cells, "method": how}
    loss, _ = run_chunks(model, sc.simulation.seed, n, first_sim=first)
    loss = split_losses(loss)[0]
    return {"loss": loss, "weight": None, "cells": None, "n_cells": 0, "method": how}


def merge_point(pieces: list[dict], sc, levels, metrics_wanted) -> tuple:
    """The point's metrics from its pieces in simulation order (exactly ``simulate()``'s)."""
    from ..analysis.estimators import LossSample
    from ..analysis.results import metrics_table
    from ..engine.chunks import cell_corrected

    loss = np.concatenate([p["loss"] for p in pieces])
    method = pieces[0]["method"]
    weight = strata = None
    if method == "importance":
        strata = np.concatenate([p["cells"] for p in pieces])
        weight = cell_corrected(np.concatenate([p["weight"] for p in pieces]), strata, pieces[0]["n_cells"])
    sample = LossSample(loss.sum(axis=1), weight, sc.simulation.ci_level, strata)
    table = metrics_table(sample, sc.name, levels, perspective=sc.perspective)  # each row with its warning
    return table[table["metric"].isin(metrics_wanted)].reset_index(drop=True), method


def _pieces(n_sims: int, size: int) -> list[tuple[int, int]]:
    return [(s, min(size, n_sims - s)) for s in range(0, n_sims, size)]


class _Serial:
    """This process: pieces run as they are submitted (the reference)."""

    class _Done:
        def __init__(self, value, error=None):
            self._v, self._error = value, error

        def result(self):
            if self._error is not None:  # raised where a pool's future raises: at result()
                raise self._error
            return self._v

    def submit(self, fn, *args):
        try:
            return self._Done(fn(*args))
        except Exception as exc:  # noqa: BLE001 - handed to the caller with the piece, as futures do
            return self._Done(None, exc)

    def wait_any(self, futures):
        return list(futures)

    def scatter(self, obj):
        return obj

    def close(self):
        pass


def _init_worker(threads: int) -> None:
    import numba

    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))


class _Pool:
    def __init__(self, workers: int):
        import multiprocessing as mp

        threads = max(1, (os.cpu_count() or 1) // workers)
        self.pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_init_worker,
                                        initargs=(threads,))

    def submit(self, fn, *args):
        return self.pool.submit(fn, *args)

    def wait_any(self, futures):
        done, _ = wait(futures, return_when=FIRST_COMPLETED)
        return list(done)

    def scatter(self, obj):
        return obj

    def close(self):
        self.pool.shutdown(cancel_futures=True)


class _Dask:
    def __init__(self, workers: int, scheduler: str | None):
        from distributed import Client, LocalCluster

        self.cluster = None
        if scheduler:
            self.client = Client(scheduler)
        else:
            threads = max(1, (os.cpu_count() or 1) // workers)
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None, silence_logs=40)
            self.client = Client(self.cluster)
            self.client.run(_init_worker, threads)

    def submit(self, fn, *args):
        return self.client.submit(fn, *args, pure=False)

    def wait_any(self, futures):
        from distributed import wait as dwait

        done, _ = dwait(list(futures), return_when="FIRST_COMPLETED")
        return list(done)

    def scatter(self, obj):
        return self.client.scatter(obj, broadcast=True)

    def close(self):
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def executor(kind: str = "local", workers: int = 1, scheduler: str | None = None):
    if kind not in EXECUTORS:
        raise ValueError(f"executor must be one of {EXECUTORS}, got {kind!r}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if kind == "dask":
        return _Dask(workers, scheduler)
    return _Serial() if workers == 1 else _Pool(workers)


def run_sweep(sweep: Sweep, out, kind: str = "local", workers: int = 1, scheduler: str | None = None,
              progress: bool = False) -> dict:
    """Run every point of ``sweep`` not yet in the store ``out``; return counts and timing."""
    store = Store(out)
    done = store.open(sweep)
    todo = [p for p in sweep.points if p.id not in done]
    spec = sweep.spec
    t0 = time.perf_counter()
    ex = executor(kind, workers, scheduler)
    try:
        pf = ex.scatter(sweep.portfolio)
        pending: dict = {}
        failed: dict[str, str] = {}
        store.clear_errors(p.id for p in todo)  # tried again now
        results: dict[str, list] = {}
        need: dict[str, int] = {}
        for p in todo:
            cuts = _pieces(spec.n_sims, spec.split_sims)
            need[p.id] = len(cuts)
            results[p.id] = [None] * len(cuts)
            js = p.scenario.model_dump_json()
            for j, (first, n) in enumerate(cuts):
                pending[ex.submit(run_piece, pf, sweep.portfolio_sha256, js, first, n)] = (p, j, n)
        by_id = {p.id: p for p in todo}
        with _bar(progress, len(todo), len(sweep.points) - len(todo)) as tick:
            while pending:
                for fut in ex.wait_any(list(pending)):
                    p, j, n = pending.pop(fut)
                    if p.id in failed:
                        continue
                    try:
                        results[p.id][j] = fut.result()
                    except Exception as exc:  # noqa: BLE001 - a point's failure is recorded, the sweep goes on
                        failed[p.id] = f"{type(exc).__name__}: {exc}"
                        store.write_error(p.id, p.scenario.name, failed[p.id])
                        results.pop(p.id, None)
                        if tick:
                            tick(n, True)
                        continue
                    need[p.id] -= 1
                    if need[p.id] == 0:
                        metrics, method = merge_point(results.pop(p.id), p.scenario, spec.levels, spec.metrics)
                        store.write_point(p.id, point_table(metrics, by_id[p.id], spec.n_sims, method,
                                                            sweep.param_names))
                    if tick:
                        tick(n, need[p.id] == 0)
    finally:
        ex.close()
    return {"points": len(sweep.points), "ran": len(todo) - len(failed), "skipped": len(sweep.points) - len(todo),
            "failed": failed, "seconds": time.perf_counter() - t0}


@contextmanager
def _bar(enabled: bool, total: int, already: int):
    if not enabled or total == 0:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    cols = (TextColumn("points"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
            TextColumn("{task.fields[rate]}"), TimeRemainingColumn())
    with Progress(*cols, console=Console(file=sys.stderr), transient=True) as bar:
        task = bar.add_task("points", total=total, rate="")
        t0, sims = time.perf_counter(), 0

        def tick(n: int, finished: bool):
            nonlocal sims
            sims += n
            rate = f"{sims / max(time.perf_counter() - t0, 1e-9):,.0f} sims/s"
            bar.update(task, advance=1 if finished else 0, rate=rate)

        yield tick
