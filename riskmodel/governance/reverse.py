"""``riskmodel reverse-stress --capital C``: what the world looks like when the programme loses more than C.

1. **The aim.** A pilot run estimates ``P(L > C)``; the main run's importance sampling is aimed at that
   level, so its design finds the dominating point for C: the likeliest factor outcome with a proxy loss C
   (``model.importance``), and, for each country event severe enough to be a route to the tail, the
   likeliest factors given the event. Each configuration is scored by its log-likelihood,
   ``-|mu|^2 / 2`` plus, for a route, ``log P(event | mu)``; the best is the most likely configuration.
2. **The tail.** The simulations with ``L > C`` are replayed (the same draws) keeping their factors and
   defaults, and every quantity is averaged over them with the importance weights: the conditional mean of
   each factor, the probability of each country event, exporter and buyer default given ``L > C``, each a
   ratio estimator ``sum w 1{L > C} x / sum w 1{L > C}`` with its delta-method standard error (strata of
   the design respected).
3. **The scenario.** The conditional configuration written as a scenario: the factors centred at their
   conditional means (``[factors] shift``) and the country events more likely than not in the tail made
   certain. It is run (plain Monte Carlo) and ``P(L >= C)`` under it is reported beside it, with the
   base model's ``P(L > C)``: how far the stress is from what the model expects.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from ..analysis.estimators import se_of_mean
from ..analysis.simulation import simulate
from ..engine.collect import ClaimsCollector
from ..inputs.errors import InputError, Problem
from ..inputs.parameters import MAX_MULTIPLIER
from ..inputs.scenario import Scenario, scenario_from_dict
from ..version import __version__
from .fragment import toml_text

CONFIG_SCHEMA = ("kind", "name", "base", "dominating_point", "given_tail", "se", "lift")
NAMES_SCHEMA = ("type", "id", "country", "pd", "p_given_tail", "se", "lift")
PILOT_SHARE = 0.2
SHOWN = 12  # factors and names in the narrative table


@dataclass
class ReverseStress:
    capital: float
    p_exceed: tuple[float, float]  # base model's P(L > C) and its se
    configuration: pd.DataFrame  # CONFIG_SCHEMA: the narrative table
    names: pd.DataFrame  # NAMES_SCHEMA: every obligor and event, P(default | L > C)
    scenario_text: str
    stress_p: tuple[float, float]  # P(L >= C) under the written scenario, its se
    stress_el: float
    provenance: dict
    route: str
    unit: tuple[float, str] = (1.0, "")  # (divisor, name) of money on screen

    def summary(self) -> str:
        p, se = self.p_exceed
        sp, sse = self.stress_p
        div, name = self.unit
        c = self.configuration.copy()
        money = c["kind"] == "loss"
        c.loc[money, ["base", "given_tail", "se"]] = c.loc[money, ["base", "given_tail", "se"]] / div
        c.loc[money, "name"] = f"mean loss ({name})"
        with pd.option_context("display.width", 160, "display.max_colwidth", 40):
            body = c.to_string(index=False, float_format=lambda v: f"{v:.4g}", na_rep="-")
        return "\n".join([
            f"reverse stress test: losses above {self.capital / div:,.3f} {name} ({self.provenance['perspective']}); "
            "base: unconditional (factors in sd, probabilities), given_tail: given L > C",
            f"base model: P(L > C) = {p:.3g} (se {se:.2g}), once in {1 / p:,.0f} years" if p > 0 else
            "base model: P(L > C) = 0 in this run",
            f"most likely configuration (dominating point): {self.route}",
            body,
            f"the written scenario puts the programme at or above C with probability {sp:.3f} (se {sse:.3f}); "
            f"its expected loss is {self.stress_el / div:,.3f} {name}"])

    def __str__(self) -> str:
        return self.summary()


def _ratio(x: np.ndarray, ind: np.ndarray, w: np.ndarray, strata) -> tuple[np.ndarray, np.ndarray]:
    """Weighted means of the columns of ``x`` (given for the tail rows only) over the tail, with their
    delta-method standard errors over the whole sample."""
    n = w.size
    b = w * ind
    bbar = b.mean()
    tail = np.flatnonzero(ind)
    num = (w[tail, None] * x).sum(axis=0) / n
    r = num / bbar
    se = np.empty(x.shape[1])
    for k in range(x.shape[1]):
        infl = -r[k] * b
        infl[tail] += w[tail] * x[:, k]
        se[k] = se_of_mean(infl / bbar, strata)
    return r, se


def _aim(portfolio, scenario: Scenario, capital: float, n_sims: int, seed: int, **kw) -> Scenario:
    """The scenario with its importance sampling aimed at P(L > C), estimated by a pilot run."""
    pilot = simulate(portfolio, scenario, n_sims=max(int(n_sims * PILOT_SHARE), 2000), seed=seed + 1,
                     method="importance", **kw)
    p = pilot.prob_exceed(capital).value
    if p <= 0:
        raise InputError([Problem("--capital", "options", f"no simulation of the pilot run lost more than "
                                  f"{capital:,.0f}: the capital is beyond what the model reaches; lower it or "
                                  f"check the units (the reporting currency)", value=capital)], "options")
    data = scenario.model_dump(mode="json")
    data["simulation"]["importance"]["level"] = float(min(max(1.0 - p, 0.5), 1.0 - 1e-9))
    data["simulation"]["method"] = "importance"
    return scenario_from_dict(data, "reverse stress")


def _routes(result) -> tuple[str, dict[str, float], list[str]]:
    """The most likely configuration among the main dominating point and the event routes."""
    rec = result.run_info["importance"]
    m = result.model
    lat = m.latents
    a = m.arrays
    best = ("the factors alone", rec["shift"], -0.5 * sum(v * v for v in rec["shift"].values()), [])
    ids = lat["id"].astype(str).to_numpy()
    for name, route in rec["event_routes"].items():
        mu = route.get("shift", {})
        j = int(np.flatnonzero(ids == name)[0])
        z = np.zeros(a.n_factors)
        for f, v in mu.items():
            z[m.factor_names.index(f)] = v
        sl = slice(a.load_ptr[j], a.load_ptr[j + 1])
        x = (a.thr[j] - a.load_val[sl] @ z[a.load_idx[sl]]) / a.idio[j]
        score = float(special.log_ndtr(x)) - 0.5 * float(z @ z)
        if score > best[2]:
            best = (f"country event {name} with the factors given it", mu, score, [name])
    return best[0], best[1], best[3]


def reverse_stress(portfolio, scenario: Scenario, capital: float, n_sims: int = 100_000, seed: int = 1,
                   stress_sims: int = 20_000, **kw) -> ReverseStress:
    """The reverse stress test of ``portfolio`` under ``scenario`` at the loss ``capital`` (module text)."""
    if scenario.copula.kind != "gaussian":
        raise InputError([Problem("scenario", "scenario", "the reverse stress test writes a factor shift, exact "
                                  "under the Gaussian copula only; use copula.kind = 'gaussian'", "copula.kind")],
                         "scenario")
    aimed = _aim(portfolio, scenario, capital, n_sims, seed, **kw)
    r = simulate(portfolio, aimed, n_sims=n_sims, seed=seed, **kw)
    loss = r.total_loss
    ind = loss > capital
    tail = np.flatnonzero(ind).astype(np.int64)
    m = r.model
    n_f, n_lat = m.arrays.n_factors, m.arrays.thr.shape[0]
    z, d = np.zeros((tail.size, n_f)), np.zeros((tail.size, n_lat), dtype=np.uint8)
    again = r.replay(tail, ClaimsCollector(0, len(m.covers), m.arrays.horizon, r.scenario, lifetime=False), (z, d))
    if not np.array_equal(again.sum(axis=1), loss[tail]):
        raise RuntimeError("replaying the tail did not reproduce its losses; please report this")
    w = r.weights if r.weights is not None else np.ones(loss.size)
    strata = r.strata
    zf, zse = _ratio(z, ind, w, strata)
    pdef, pse = _ratio(d.astype(float), ind, w, strata)
    route, mu, forced = _routes(r)
    config, names = _tables(r, zf, zse, pdef, pse, mu, loss, ind, w, strata)
    text, stressed = _scenario(scenario, m, zf, names, forced, capital)
    s = simulate(portfolio, stressed, n_sims=stress_sims, seed=seed + 2, method="plain", **kw)
    ps = s.prob_exceed(np.nextafter(capital, -np.inf))
    pe = r.prob_exceed(capital)
    prov = {"riskmodel_version": __version__, "capital": float(capital), "n_sims": int(n_sims), "seed": int(seed),
            "stress_sims": int(stress_sims), "scenario_sha256": scenario.content_hash,
            "portfolio_sha256": dict(portfolio.file_hashes), "tail_simulations": int(tail.size),
            "perspective": r.perspective, "importance_level": aimed.simulation.importance.level}
    return ReverseStress(float(capital), (pe.value, pe.se), config, names, text, (ps.value, ps.se),
                         s.el().value, prov, route, r.money_unit())


def _tables(r, zf, zse, pdef, pse, mu, loss, ind, w, strata):
    m = r.model
    lat = m.latents.reset_index(drop=True)
    names = pd.DataFrame({"type": lat["type"].to_numpy(), "id": lat["id"].astype(str).to_numpy(),
                          "country": lat["country"].astype(str).to_numpy(), "pd": lat["pd_horizon"].to_numpy(float),
                          "p_given_tail": pdef, "se": pse})
    names["lift"] = np.where(names["pd"] > 0, names["p_given_tail"] / names["pd"].where(names["pd"] > 0, 1.0), 0.0)
    names = names.sort_values(["p_given_tail", "id"], ascending=[False, True], kind="stable").reset_index(drop=True)
    rows = []
    el, el_se = _ratio(loss[ind][:, None], ind, w, strata)
    rows.append(("loss", "mean loss given L > C", float((w * loss).mean()), np.nan, el[0], el_se[0], np.nan))
    order = np.argsort(-np.abs(zf), kind="stable")[:SHOWN]
    for k in order:
        f = m.factor_names[k]
        rows.append(("factor", f, 0.0, mu.get(f, 0.0), zf[k], zse[k], np.nan))
    for kind in ("country_event", "exporter", "importer"):
        part = names[names["type"] == kind].head(SHOWN if kind != "country_event" else 6)
        rows += [(kind, f"{x.id} ({x.country})", x.pd, np.nan, x.p_given_tail, x.se, x.lift)
                 for x in part.itertuples()]
    config = pd.DataFrame(rows, columns=list(CONFIG_SCHEMA))
    return config, names


def _scenario(scenario: Scenario, model, zf, names, forced, capital) -> tuple[str, Scenario]:
    """The stress as a scenario: the base's keys, the factors centred at their tail means, the tail's likely
    country events made certain."""
    shift = {f: round(float(v), 4) for f, v in zip(model.factor_names, zf)
             if abs(v) >= 0.05 and not f.startswith("fx:") and f in _loading_factors(model)}
    likely = names["p_given_tail"] >= 0.5
    ev = names[(names["type"] == "country_event") & likely]["country"].tolist()
    ev = sorted(set(ev) | {c for c in names[names["id"].isin(forced)]["country"]})
    who = names[names["type"].isin(["exporter", "importer"]) & likely & (names["pd"] > 0)]
    by_id = {i: round(float(min(1.0 / p, MAX_MULTIPLIER)), 4) for i, p in zip(who["id"], who["pd"])}
    data = scenario.model_dump(mode="json")
    data["factors"]["shift"] = shift
    data["country_events"]["probability"] = {**data["country_events"]["probability"], **{c: 1.0 for c in ev}}
    data["pd_multipliers"]["by_id"] = {**data["pd_multipliers"]["by_id"], **by_id}
    data["name"] = f"reverse stress at {capital:,.0f}"
    data["description"] = (f"Reverse stress test of '{scenario.name}' at a loss of {capital:,.0f}: the factors "
                           f"centred at their means given L > C, country events {', '.join(ev) or 'none'} and the "
                           f"defaults of {', '.join(by_id) or 'no one'} certain")
    data["uncertainty"] = {"parameters": {}}
    stressed = scenario_from_dict(data, "reverse stress")
    text = toml_text({"factors": {"shift": shift}, "country_events": {"probability": {c: 1.0 for c in ev}},
                      "pd_multipliers": {"by_id": by_id}},
                     [f"Reverse stress test at a loss of {capital:,.0f} (riskmodel {__version__}), scenario "
                      f"'{scenario.name}' (sha256 {scenario.content_hash[:12]})",
                      "Factors centred at their conditional means given L > C; the country events and the "
                      "defaults more likely than not in that tail made certain (PD multiplier 1 / PD).",
                      "Stack it on the scenario it came from: extends = \"<that scenario>\"."])
    return f'name = "{data["name"]}"\n' + text, stressed


def _loading_factors(model) -> set[str]:
    a = model.arrays
    return {model.factor_names[k] for k in np.unique(a.load_idx)}
