"""Write riskmodel/data/countries.csv: every ISO 3166-1 country with a region and an OECD country risk category.

    python docs/make_countries.py          # needs pycountry (pip install pycountry)

Sources, row by row in the table's ``source`` column:

- codes and names: ISO 3166-1 as packaged by pycountry (its version is written into each row);
- the rows of the earlier bundled table keep their category and source (OECD list of January 2026 where
  CALIBRATION.md quotes it, else judgement);
- high-income OECD members and high-income euro-area countries: not classified by the Participants since
  November 2012 and priced as category 0 (OECD, "Changes agreed to the Participants Country Risk
  Classification System", 2012);
- other countries: the category recalled from the OECD lists of 2024-2025, NOT checked against the current
  list here (no network when the table was made): check https://www.oecd.org/ (cre-crc-current-english.pdf)
  before relying on a row, or give your own table with ``--countries``;
- dependent territories: their sovereign's category (judgement), and the region of their geography.

Regions follow the UN M49 geoscheme, grouped into the model's region factors.
"""
from __future__ import annotations

import csv
from importlib.metadata import version
from pathlib import Path

import pycountry

OUT = Path(__file__).resolve().parents[1] / "riskmodel" / "data" / "countries.csv"
AS_OF = "2026-12-04"

REGIONS = {
    "europe": "ALA ALB AND AUT BEL BGR BIH BLR CHE CYP CZE DEU DNK ESP EST FIN FRA FRO GBR GGY GIB GRC HRV HUN "
              "IMN IRL ISL ITA JEY LIE LTU LUX LVA MCO MDA MKD MLT MNE NLD NOR POL PRT ROU RUS SJM SMR SRB SVK "
              "SVN SWE TUR UKR VAT GRL",
    "middle_east": "ARE BHR EGY IRN IRQ ISR JOR KWT LBN OMN PSE QAT SAU SYR YEM",
    "africa": "AGO BDI BEN BFA BWA CAF CIV CMR COD COG COM CPV DJI DZA ERI ESH ETH GAB GHA GIN GMB GNB GNQ KEN "
              "LBR LBY LSO MAR MDG MLI MRT MUS MWI MYT MOZ NAM NER NGA REU RWA SDN SEN SHN SLE SOM SSD STP SWZ "
              "SYC TCD TGO TUN TZA UGA ZAF ZMB ZWE IOT ATF",
    "central_asia": "ARM AZE GEO KAZ KGZ TJK TKM UZB AFG MNG",
    "south_asia": "BGD BTN IND LKA MDV NPL PAK",
    "east_asia": "CHN HKG JPN KOR MAC PRK TWN",
    "southeast_asia": "BRN IDN KHM LAO MMR MYS PHL SGP THA TLS VNM CXR CCK",
    "oceania": "ASM AUS COK FJI FSM GUM HMD KIR MHL MNP NCL NFK NIU NRU NZL PCN PLW PNG PYF SLB TKL TON TUV UMI "
               "VUT WLF WSM ATA BVT SGS",
    "north_america": "BMU CAN SPM USA",
    "latin_america": "ABW AIA ARG ATG BES BHS BLM BLZ BOL BRA BRB CHL COL CRI CUB CUW CYM DMA DOM ECU FLK GLP GRD "
                     "GTM GUF GUY HND HTI JAM KNA LCA MAF MEX MSR MTQ NIC PAN PER PRI PRY SLV SUR SXM TCA TTO URY "
                     "VCT VEN VGB VIR",
}

# high-income OECD members and high-income euro-area countries: not classified, priced as category 0
HIGH_INCOME = ("AUS AUT BEL CAN CHL CZE DNK EST FIN FRA DEU GRC HUN ISL IRL ISR ITA JPN KOR LVA LTU LUX NLD NZL "
               "NOR POL PRT SVK SVN ESP SWE CHE GBR USA CYP MLT HRV").split()

# recalled from the OECD lists of 2024-2025; not verified offline (see the module's docstring)
RECALLED = {
    0: "SGP HKG TWN MAC BRN",
    1: "",
    2: "CHN KWT QAT BWA",
    3: "MEX PAN URY BGR ROU MAR MUS THA OMN",
    4: "BRA CRI DOM GTM PRY ZAF NAM SRB MKD AZE KAZ BHR VNM",
    5: "JOR GEO ARM ALB MNE BIH SEN CIV HND SLV JAM TTO BGD UZB",
    6: "EGY KEN NGA AGO CMR GAB TZA UGA RWA BEN TGO MNG KHM NPL TKM TUN DZA MDA PNG FJI CPV GHA BOL",
    7: "AFG ARG BLR BDI CAF TCD COD COG CUB ERI ETH GIN GNB GNQ HTI IRN IRQ LAO LBN LBR LBY MDG MLI MMR MOZ "
       "MWI NER NIC PAK PRK PSE RUS SDN SLE SOM SSD SYR TJK KGZ UKR VEN YEM ZMB ZWE LKA ECU SUR GMB MRT BFA "
       "DJI COM STP LSO SWZ BTN MDV TLS SLB VUT KIR TUV NRU FSM MHL PLW WSM TON GUY BLZ ESH",
}
# categories the recollection is least sure of: their source says so
UNSURE = set("GHA BOL ECU SUR LSO SWZ BTN MDV".split())

# dependent territories and their sovereign (ISO alpha-3)
TERRITORY_OF = {
    "ABW": "NLD", "AIA": "GBR", "ALA": "FIN", "ASM": "USA", "ATA": "NOR", "ATF": "FRA", "BES": "NLD", "BLM": "FRA",
    "BMU": "GBR", "BVT": "NOR", "CCK": "AUS", "COK": "NZL", "CUW": "NLD", "CXR": "AUS", "CYM": "GBR", "FLK": "GBR",
    "FRO": "DNK", "GGY": "GBR", "GIB": "GBR", "GLP": "FRA", "GRL": "DNK", "GUF": "FRA", "GUM": "USA", "HMD": "AUS",
    "IMN": "GBR", "IOT": "GBR", "JEY": "GBR", "MAF": "FRA", "MNP": "USA", "MSR": "GBR", "MTQ": "FRA", "MYT": "FRA",
    "NCL": "FRA", "NFK": "AUS", "NIU": "NZL", "PCN": "GBR", "PRI": "USA", "PYF": "FRA", "REU": "FRA", "SGS": "GBR",
    "SHN": "GBR", "SJM": "NOR", "SPM": "FRA", "SXM": "NLD", "TCA": "GBR", "TKL": "NZL", "UMI": "USA", "VGB": "GBR",
    "VIR": "USA", "WLF": "FRA",
}
# very small states the Participants leave unclassified for administrative purposes (judgement: category 0 for
# those tied to a high-income neighbour, else as recalled above)
MICROSTATES_0 = "AND LIE MCO SMR VAT".split()
# sovereign states in ISO 3166-1 the lists above do not name: judgement
JUDGEMENT = {"ATG": 5, "BHS": 4, "BRB": 5, "DMA": 6, "GRD": 6, "KNA": 5, "LCA": 6, "VCT": 6, "SYC": 5}


def _earlier() -> dict[str, dict]:
    """The rows of the table as bundled before this script: their categories and sources stand."""
    if not OUT.is_file():
        return {}
    with OUT.open(newline="", encoding="utf-8") as f:
        return {r["country"]: r for r in csv.DictReader(f)
                if not r["source"].startswith(("not classified", "recalled", "territory", "judgement (micro",
                                               "judgement (not"))}


def main() -> None:
    region = {c: r for r, codes in REGIONS.items() for c in codes.split()}
    recalled = {c: k for k, codes in RECALLED.items() for c in codes.split()}
    earlier = _earlier()
    iso = f"ISO 3166-1 via pycountry {version('pycountry')}"
    rows, missing = [], []
    for c in sorted(pycountry.countries, key=lambda x: x.alpha_3):
        code = c.alpha_3
        name = getattr(c, "common_name", None) or c.name
        if code not in region:
            missing.append(code)
            continue
        if code in earlier:
            cat, source = int(earlier[code]["oecd_category"]), earlier[code]["source"]
            name, region[code] = earlier[code]["name"], earlier[code]["region"]
        elif code in HIGH_INCOME:
            cat, source = 0, "not classified: high-income OECD or euro area (OECD rule since 2012); category 0"
        elif code in TERRITORY_OF:
            sov = TERRITORY_OF[code]
            cat = 0 if sov in HIGH_INCOME else recalled[sov]
            source = f"territory of {sov}: its sovereign's category (judgement)"
        elif code in MICROSTATES_0:
            cat, source = 0, "judgement (microstate, not classified for administrative purposes): category 0"
        elif code in recalled:
            cat = recalled[code]
            source = "recalled from OECD lists 2024-2025, not verified offline: check the OECD list" + \
                     (" (least sure)" if code in UNSURE else "")
        elif code in JUDGEMENT:
            cat, source = JUDGEMENT[code], "judgement (not in the recalled lists): check the OECD list"
        else:
            missing.append(code)
            continue
        rows.append({"country": code, "name": name, "region": region[code], "oecd_category": cat,
                     "source": source, "as_of": AS_OF, "iso": iso})
    if missing:
        raise SystemExit(f"no region or category for {missing}: add them to this script")
    with OUT.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {OUT} ({len(rows)} countries)")


if __name__ == "__main__":
    main()
