"""The products the agency insures, one row each: the single table the covers' ``product`` column, the
scenario's per-product keys (``[calls.*]``, ``[lgd.<product>]``) and the kernels' per-cover arrays derive from.

Adding a product is a row here (and its tests): the schema accepts it, the
scenario gains its keys with these defaults, and the model compiles it by its
``kind``:

- ``guarantee``: a bank guarantee the buyer can call, after the exporter's
  default (with probability ``call_given_default``) or while the exporter is
  solvent (disputes, unfair calls: annual intensities ``rate_on_demand`` and
  ``rate_conditional``), losing the claim times the LGD after default or the
  solvent LGD; a country event in the buyer's country that makes delivery
  impossible calls it at the event with probability ``call_given_event``;
- ``credit``: an insured receivable, lost (times the LGD, by buyer kind if
  the scenario says so) when the importer defaults.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Product:
    name: str
    kind: Literal["guarantee", "credit"]
    lgd: tuple[float, float]  # (mean, sd) of the LGD after default (credit: after the importer's default)
    call_given_default: float = 0.0
    rate_on_demand: float = 0.0  # annual intensity of calls without default, on-demand instruments
    rate_conditional: float = 0.0  # the same for conditional instruments (proof of default needed)
    solvent_lgd: tuple[float, float] = (0.0, 0.0)  # (mean, sd) of the LGD of a call on a solvent exporter
    call_given_event: float = 0.0  # probability a country event calls it at once (deliveries impossible)


# Calls after default (judgement): an exporter that fails cannot deliver; advance payments are nearly always
# reclaimed, performance bonds usually. ICC/GCD (2022) find claims of ~10% of issued amount after the
# customer's default on generic performance guarantees; defence buyers holding on-demand instruments call far
# more. Calls without default: the ICC Trade Register has performance guarantees defaulting at 0.26-0.49% a
# year; judgement puts calls on solvent exporters (disputes, delays, unfair calls) of the same order, and
# conditional guarantees, which need proof of default, at a quarter of the on-demand rate.
# LGD after an exporter's default: recovery from a small firm's estate; Berne Union: private credit insurers
# often recover only 25-30% of claims paid -> 0.7-0.75 (judgement 0.7). Solvent exporter: it owes the bank the
# claim; ICC finds median recoveries near 100% on trade products, but a large call strains an SME (judgement
# 0.2). Receivables: Moody's sovereign recovery 53% issuer-weighted, 31% value-weighted (LGD 0.47-0.69);
# private insurers recover 25-30%; judgement 0.55 for all buyer kinds.
# Calls when a country event makes deliveries impossible (judgement; no public frequency): an embargo, a war or
# revoked export licences stop deliveries, and the buyer calls the guarantee backing what was not delivered: the
# advance it paid (0.25) and, less often, performance (0.15); bids and warranties back no pending delivery (0).
TABLE: tuple[Product, ...] = (
    Product("bid", "guarantee", lgd=(0.7, 0.2), call_given_default=0.2, rate_on_demand=0.002,
            rate_conditional=0.0005, solvent_lgd=(0.2, 0.15)),
    Product("advance_payment", "guarantee", lgd=(0.7, 0.2), call_given_default=0.9, rate_on_demand=0.004,
            rate_conditional=0.001, solvent_lgd=(0.2, 0.15), call_given_event=0.25),
    Product("performance", "guarantee", lgd=(0.7, 0.2), call_given_default=0.6, rate_on_demand=0.005,
            rate_conditional=0.00125, solvent_lgd=(0.2, 0.15), call_given_event=0.15),
    Product("warranty", "guarantee", lgd=(0.7, 0.2), call_given_default=0.3, rate_on_demand=0.003,
            rate_conditional=0.00075, solvent_lgd=(0.2, 0.15)),
    Product("credit", "credit", lgd=(0.55, 0.25)),
)

PRODUCTS = tuple(p.name for p in TABLE)
GUARANTEES = tuple(p for p in TABLE if p.kind == "guarantee")
GUARANTEE_PRODUCTS = tuple(p.name for p in GUARANTEES)
CREDIT_PRODUCTS = tuple(p.name for p in TABLE if p.kind == "credit")
BY_NAME = {p.name: p for p in TABLE}


def products_in_words() -> str:
    """'bid, advance_payment, ... or credit', for column docs and messages."""
    return f"{', '.join(PRODUCTS[:-1])} or {PRODUCTS[-1]}"
