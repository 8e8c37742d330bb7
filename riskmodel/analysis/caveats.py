"""The warnings that travel with a figure: where ``benchmarks/calibration.py`` (and the coverage studies after
it) found an interval off its nominal coverage, the figure says so. ``self`` is the run's ``LossSample``."""
from __future__ import annotations

import numpy as np

ATOM_SHARE = 0.5  # VaR on an atom holding this share of (1 - level) or more (or tied by 2+ simulations): conservative
MIN_EXCEEDANCES = 10  # P(L > x) from fewer (effective) simulations beyond x carries a warning
MIN_TAIL_ES = 500  # plain ES from fewer simulations beyond its quantile carries a warning (the calibration study)


def figure_warning(self, metric: str, level: float | None) -> str:
    """The warning that travels with one figure of the metrics table ('' when its interval is trusted).

    Where ``benchmarks/calibration.py`` found an interval off its nominal
    coverage, the figure says so: too few simulations beyond a level, a VaR
    on an atom of the loss distribution (its interval ends on atoms and is
    conservative), or too few simulations beyond a threshold."""
    if metric in ("var", "es", "ec"):
        w = tail_warning(self, level)
        if w:
            return w
        tail = self.n * (1 - level)
        if metric == "es" and not self.weighted and tail < MIN_TAIL_ES:
            return (f"ES({level}) rests on {tail:.0f} simulations beyond its quantile: plain Monte Carlo's ES "
                    f"intervals covered 86-93% of the time with fewer than {MIN_TAIL_ES} (its estimate is a little "
                    f"low and its error a little small: benchmarks/calibration.py); increase n_sims to at least "
                    f"{int(np.ceil(MIN_TAIL_ES / (1 - level))):,} or use importance sampling (method = "
                    f"'importance')")
        if metric == "es":
            return _capped_es(self, level)
        if metric in ("var", "ec"):
            q = self.quantile_at(level)
            ties = int(np.sum(self.x == q))
            atom = self.atom_share(q)
            if ties >= 2 or atom >= ATOM_SHARE * (1.0 - level):
                seen = "95-100%" if metric == "var" else "92-99.5%"
                return (f"VaR({level}) sits on an atom of the loss distribution ({ties} simulations, "
                        f"{atom:.2g} of the probability, lie exactly at it): the {metric.upper()} interval ends "
                        f"on atoms, mostly wider than {self.ci_level:.0%} needs (it covered {seen} on lattice "
                        f"books: benchmarks/calibration.py), and its standard error is half the interval, not "
                        f"the spread of the estimate; read the interval")
        return ""
    if metric == "p_exceed":
        beyond = self.x > level
        k = int(np.sum(beyond))
        w = self.w[beyond]
        ess = float(w.sum() ** 2 / np.sum(w * w)) if k else 0.0  # plain Monte Carlo: k itself
        if ess < MIN_EXCEEDANCES:
            if k >= MIN_EXCEEDANCES:  # enough simulations, but a few heavy weights carry the estimate
                return (f"P(L > {level:,.6g}) rests on {ess:.1f} effective simulations of the {k} beyond it: "
                        f"its interval is unreliable; increase n_sims or aim the importance sampling at this "
                        f"loss")
            how = ("a Wilson bound" if not self.weighted else
                   "bounded by the design's largest weight" if k == 0 and self.weight_bound is not None else
                   "rests on them and may understate the error")
            seen = "no simulation exceeds" if k == 0 else f"only {k} simulation{'s' if k > 1 else ''} exceed"
            return (f"{seen} {level:,.6g}: the interval is {how}; increase n_sims or aim the importance "
                    f"sampling at this loss")
    return ""

def tail_warning(self, level: float) -> str | None:
    """Say when too few simulations lie beyond a level for its interval to close."""
    if self.weighted:  # importance sampling: count the simulations actually drawn beyond the quantile
        q = self.quantile_at(level)
        beyond = int(np.sum(self.x > q))
        if beyond < 10:
            return (f"only {beyond} simulations lie beyond the {level} quantile: its interval is unreliable; "
                    f"increase n_sims or aim the importance sampling at this level")
        # and how many they are worth: a few heavy weights mean the sampling missed a route to the tail,
        # and the standard errors, estimated from the same few, understate the error
        w = self.w[self.x >= q]
        ess = float(w.sum() ** 2 / np.sum(w * w))
        if ess < 10:
            return (f"the tail beyond the {level} quantile rests on {ess:.1f} effective simulations (one holds "
                    f"{w.max() / w.sum():.0%} of its weight): the importance sampling under-samples a route to "
                    f"this tail and the errors there are unreliable; increase n_sims, raise "
                    f"simulation.importance.defensive, or use method = 'plain'")
        return None
    tail = self.n * (1 - level)
    if level + self.z * np.sqrt(level * (1 - level) / self.n) >= 1.0 or tail < 10:
        need = int(np.ceil(100 / (1 - level)))
        return (f"only {tail:.0f} simulations lie beyond the {level} quantile: its upper confidence bound is "
                f"the largest loss seen; increase n_sims to at least {need:,}")
    return None


def _capped_es(self, level: float) -> str:
    """ES whose tail is mostly one atom: a loss capped by a stop-loss or a limit. Its error, estimated from the
    few simulations beyond the atom, is near zero, and on the risk-sharing scenario 9 of 200 seeds fell beyond 5
    standard errors of the truth (benchmarks/library_coverage.py)."""
    q = self.quantile_at(level)
    if self.atom_share(q) < ATOM_SHARE * (1.0 - level):
        return ""
    es = self.es(level)
    if es.se > 1e-6 * abs(es.value):
        return ""
    return (f"ES({level}) sits on an atom of the loss distribution at {q:,.6g} (a cap: a stop-loss or a limit "
            f"holds the tail): its standard error comes from the few simulations beyond the atom and understates "
            f"the error of the rest; read it as the capped loss")
