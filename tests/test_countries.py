"""The bundled country table: every ISO 3166-1 country, each with a region, an OECD category and its source;
the user's own table replaces it; a sovereign buyer without a PD takes its country's category's."""
import csv

import pandas as pd
import pycountry
import pytest

import riskmodel as rm
from riskmodel.inputs.reference import load_countries

from conftest import REPO

BUNDLED = REPO / "riskmodel" / "data" / "countries.csv"


def test_the_bundled_table_holds_every_iso_3166_country_with_a_region_category_and_source():
    table = load_countries()
    iso = {c.alpha_3 for c in pycountry.countries}
    assert iso - set(table.index) == set(), "countries missing: rerun docs/make_countries.py"
    with BUNDLED.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert all(r["source"] and r["as_of"] and r["region"] for r in rows)
    assert set(table["oecd_category"]) <= set(range(8))
    # the figures CALIBRATION.md quotes from the OECD list of January 2026 stand
    quoted = {"SAU": 2, "ARE": 2, "MYS": 2, "IDN": 3, "PHL": 3, "IND": 3, "PER": 3, "COL": 4, "TUR": 5, "KAZ": 5,
              "EGY": 6, "IRQ": 7, "POL": 0}
    assert {c: int(table.loc[c, "oecd_category"]) for c in quoted} == quoted


def _book(countries, kinds, pds):
    n = len(countries)
    exporters = pd.DataFrame({"exporter_id": ["E0"], "pd": [0.01]})
    importers = pd.DataFrame({"importer_id": [f"I{i}" for i in range(n)], "country": countries, "kind": kinds,
                              "pd": pds})
    covers = pd.DataFrame({"cover_id": [f"C{i}" for i in range(n)], "exporter_id": "E0",
                           "importer_id": importers["importer_id"], "product": "credit", "amount": 100.0,
                           "currency": "KRW", "insured_share": 1.0, "start": "2026-06-01", "end": "2028-01-01"})
    return exporters, importers, covers


def test_buyers_anywhere_are_accepted_and_a_sovereign_without_a_pd_takes_its_categorys():
    countries = ["DEU", "JPN", "ESP", "UKR", "NGA", "BRA"]
    e, i, c = _book(countries, ["sovereign"] * 6, [None] * 6)
    pf = rm.Portfolio.from_frames(e, i, c)
    res = rm.simulate(pf, n_sims=2000, method="plain")
    lat = res.model.latents.set_index("id")
    sc = rm.load_scenario()
    table = load_countries()
    for k, country in enumerate(countries):
        cat = int(table.loc[country, "oecd_category"])
        assert lat.loc[f"I{k}", "pd"] == pytest.approx(sc.sovereigns.pd_by_oecd_category[cat])
    assert lat.loc["I3", "pd"] > lat.loc["I0", "pd"]  # Ukraine's category is worse than Germany's


def test_a_private_buyer_still_needs_a_rating_or_a_pd():
    e, i, c = _book(["DEU", "JPN"], ["private", "sovereign"], [None, None])
    with pytest.raises(rm.InputError) as err:
        rm.Portfolio.from_frames(e, i, c)
    text = str(err.value)
    assert "row 1" in text and "give a rating or a pd" in text and "row 2" not in text


def test_the_users_country_table_replaces_the_bundled_one(tmp_path):
    own = tmp_path / "countries.csv"
    own.write_text("country,region,oecd_category\nDEU,europe,1\nKOR,east_asia,0\n")
    ref = rm.load_reference(countries=own)
    e, i, c = _book(["DEU"], ["sovereign"], [None])
    pf = rm.Portfolio.from_frames(e, i, c, reference=ref)
    lat = rm.simulate(pf, n_sims=500, method="plain").model.latents.set_index("id")
    assert lat.loc["I0", "pd"] == pytest.approx(rm.load_scenario().sovereigns.pd_by_oecd_category[1])
    e, i, c = _book(["JPN"], ["private"], [0.01])
    with pytest.raises(rm.InputError, match="country"):
        rm.Portfolio.from_frames(e, i, c, reference=ref)
