"""Country events' reach: each importer's link to its country's event latent and the probability that the
event makes it default."""
from __future__ import annotations

import numpy as np

from ..inputs.portfolio import Portfolio
from ..inputs.scenario import Scenario
from .combos import by_combination
from .factors import Latents


def event_links(portfolio: Portfolio, scenario: Scenario, latents: Latents) -> tuple[np.ndarray, np.ndarray]:
    """(imp_event, imp_event_q) over latents: the event latent of each importer's country (-1 for none and
    for every other latent) and the probability the event makes the importer default."""
    n_e, n_i, n_c = latents.n_exporters, latents.n_importers, latents.n_events
    imp = portfolio.importers
    imp_event = np.full(n_e + n_i + n_c, -1, dtype=np.int64)
    imp_event_q = np.zeros(n_e + n_i + n_c)
    if n_c:
        pos = {c: n_e + n_i + k for k, c in enumerate(latents.event_countries)}
        q = scenario.country_events.importer_default_given_event
        imp_event[n_e:n_e + n_i] = by_combination(lambda c: pos[c], imp["country"], dtype=np.int64)
        imp_event_q[n_e:n_e + n_i] = by_combination(lambda k: getattr(q, k), imp["kind"])
    return imp_event, imp_event_q
