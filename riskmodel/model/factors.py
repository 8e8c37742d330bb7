"""The latents and their factor loadings: which scenario rule (or the portfolio's own ``beta_<f>`` columns)
gives each exporter, importer and country event its loadings, and the factors they name.

Latents are ordered exporters, importers, country events. Factor instances
are named ``global``, ``korea``, ``region:<r>``, ``country:<ISO>``,
``sector:<s>``, and any factor named only in the portfolio's ``beta_<f>``
columns (independent standard normals). Exporters sit in Korea (``KOR``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..inputs.errors import Problem, raise_if
from ..inputs.portfolio import Portfolio
from ..inputs.scenario import Scenario
from ..inputs.schema import BETA_PREFIX
from .combos import by_combination
from .loadings import LatentTable, Loadings, Numbering, compile_loadings

HOME_COUNTRY = "KOR"


@dataclass
class Latents:
    """Every latent of the model, in kernel order, with its loadings and the factors numbered so far."""
    tables: list[LatentTable]
    loadings: Loadings
    factors: Numbering  # factor instances by index; currencies' factors are added after the loadings'
    frame: pd.DataFrame  # type, id, country, region, rule, r2 per latent
    event_countries: list[str]
    n_exporters: int
    n_importers: int

    @property
    def n_events(self) -> int:
        return len(self.event_countries)


def check_places(portfolio: Portfolio, scenario: Scenario) -> None:
    """Scenario keys that name countries and regions must name known ones; the home country must be known."""
    ref, sc = portfolio.reference, scenario
    countries = ref.countries
    problems: list[Problem] = []
    regions = set(countries["region"])
    for key, table in (("pd_multipliers.by_country", sc.pd_multipliers.by_country),
                       ("country_events.probability", sc.country_events.probability)):
        for c in table:
            if c not in countries.index:
                problems.append(Problem("scenario", "scenario", f"'{c}' is not in the country table", key, value=c))
    for r in sc.pd_multipliers.by_region:
        if r not in regions:
            problems.append(Problem("scenario", "scenario", f"unknown region; regions are {sorted(regions)}",
                                    "pd_multipliers.by_region", value=r))
    ids = set(portfolio.exporters["exporter_id"]) | set(portfolio.importers["importer_id"])
    problems += [Problem("scenario", "scenario", "no exporter or importer has this id", "pd_multipliers.by_id",
                         value=i) for i in sc.pd_multipliers.by_id if i not in ids]
    if HOME_COUNTRY not in countries.index:
        problems.append(Problem(ref.sources["countries"], "countries",
                                f"the country table must contain {HOME_COUNTRY} (the exporters' home)"))
    raise_if(problems, "scenario")


def best_rule(scenario: Scenario, applies_to: str, attrs: dict) -> tuple[str | None, dict]:
    """The most specific enabled rule for a latent with these attributes: (name, loadings), or
    ("ambiguous:...", {}) when equally specific rules disagree, or (None, {})."""
    best, best_score, tie = None, -1, []
    for name, rule in scenario.factors.rules.items():
        if not rule.enabled or rule.applies_to != applies_to:
            continue
        sel = {k: v for k, v in rule.match.model_dump().items() if v is not None}
        if any(attrs.get(k) != v for k, v in sel.items()):
            continue
        score = len(sel)
        if score > best_score:
            best, best_score, tie = name, score, []
        elif score == best_score:
            tie.append(name)
    if best is None:
        return None, {}
    if any(scenario.factors.rules[t].loadings != scenario.factors.rules[best].loadings for t in tie):
        return f"ambiguous:{best},{','.join(tie)}", {}
    return best, dict(scenario.factors.rules[best].loadings)


def _tables(portfolio: Portfolio, event_countries: list[str]) -> list[LatentTable]:
    exp, imp = portfolio.exporters, portfolio.importers
    region_of = portfolio.reference.countries["region"]
    home_region = region_of[HOME_COUNTRY]
    beta_cols = lambda df: df[[c for c in df.columns if c.startswith(BETA_PREFIX)]]  # noqa: E731
    return [
        LatentTable("exporter", exp["exporter_id"],
                    pd.DataFrame({"sector": exp["sector"], "country": HOME_COUNTRY, "region": home_region}),
                    portfolio.sources.get("exporters", "scenario"), "exporters", beta_cols(exp)),
        LatentTable("importer", imp["importer_id"],
                    pd.DataFrame({"kind": imp["kind"], "country": imp["country"],
                                  "region": by_combination(lambda c: region_of[c], imp["country"], dtype=object)}),
                    portfolio.sources.get("importers", "scenario"), "importers", beta_cols(imp)),
        LatentTable("country_event", pd.Series(event_countries, dtype=object),
                    pd.DataFrame({"country": pd.Series(event_countries, dtype=object),
                                  "region": region_of.reindex(event_countries).to_numpy(object)}),
                    "scenario", "countries", rows=False),
    ]


def compile_latents(portfolio: Portfolio, scenario: Scenario) -> Latents:
    """The latents, their loadings by rule or by the portfolio's columns, and the factors they name."""
    imp = portfolio.importers
    event_countries = sorted(set(imp["country"])) if scenario.country_events.enabled else []
    tables = _tables(portfolio, event_countries)
    rule_cache: dict = {}

    def rule_of(applies_to, attrs):
        key = (applies_to, tuple(sorted(attrs.items())))
        if key not in rule_cache:
            rule_cache[key] = best_rule(scenario, applies_to, attrs)
        return rule_cache[key]

    ld, problems = compile_loadings(tables, rule_of)
    raise_if(problems, "model")
    factors = Numbering()
    for name in ld.factor_names:
        factors(name)

    def column(get):
        return pd.Series(np.concatenate([np.asarray(get(t), dtype=object) for t in tables]), dtype=object)

    frame = pd.DataFrame({
        "type": pd.array(np.repeat(np.array([t.applies_to for t in tables], dtype=object),
                                   [len(t.ids) for t in tables]), dtype="str"),
        "id": column(lambda t: t.ids), "country": column(lambda t: t.attrs["country"]),
        "region": column(lambda t: t.attrs["region"]), "rule": pd.array(ld.rule, dtype="str"), "r2": ld.r2})
    return Latents(tables, ld, factors, frame, event_countries, len(portfolio.exporters), len(imp))
