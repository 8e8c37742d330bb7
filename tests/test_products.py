"""Products live in one table (riskmodel.inputs.products): the covers' column, the scenario's keys and the
kernels' arrays derive from it, and a product added to the table runs end to end with no other change."""
import ast
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import riskmodel as rm
from riskmodel.inputs import products
from riskmodel.inputs.schema import TABLES

PKG = Path(rm.__file__).parent


def test_schema_and_scenario_keys_derive_from_the_table():
    sc = rm.load_scenario()
    assert TABLES["covers"].column("product").choices == products.PRODUCTS
    assert set(sc.lgd.model_dump()) - {"random"} == set(products.PRODUCTS)
    for table in (sc.calls.given_default, sc.calls.rate_without_default, sc.calls.rate_without_default_conditional):
        assert tuple(table.model_dump()) == products.GUARANTEE_PRODUCTS
    for p in products.GUARANTEES:
        assert getattr(sc.calls.given_default, p.name) == p.call_given_default
        assert getattr(sc.calls.rate_without_default, p.name) == p.rate_on_demand
        assert getattr(sc.calls.rate_without_default_conditional, p.name) == p.rate_conditional
        lgd = getattr(sc.lgd, p.name)
        assert (lgd.mean, lgd.sd, lgd.solvent.mean, lgd.solvent.sd) == (*p.lgd, *p.solvent_lgd)


def test_no_product_is_named_outside_the_table():
    """Product names as string literals only in the table and the sample generator (which writes data)."""
    allowed = {PKG / "inputs" / "products.py", PKG / "inputs" / "sample.py"}
    named = []
    for f in PKG.rglob("*.py"):
        if f in allowed:
            continue
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.Constant) and node.value in products.GUARANTEE_PRODUCTS:
                named.append(f"{f.relative_to(PKG)}:{node.lineno} {node.value!r}")
    assert named == [], named


def test_a_product_added_to_the_table_is_validated_scenario_keyed_and_simulated(tmp_path):
    pkg = tmp_path / "riskmodel"
    shutil.copytree(PKG, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    table = pkg / "inputs" / "products.py"
    text = table.read_text()
    row = ('    Product("tender", "guarantee", lgd=(0.5, 0.0), call_given_default=1.0, rate_on_demand=0.0, '
           'solvent_lgd=(0.2, 0.0)),\n')
    anchor = '    Product("credit", "credit"'
    assert anchor in text
    table.write_text(text.replace(anchor, row + anchor))
    script = textwrap.dedent("""
        import numpy as np
        import riskmodel as rm
        from riskmodel.inputs.sample import sample_frames

        f = sample_frames(n_covers=30)
        cov = f["covers"]
        cov.loc[cov["product"] != "credit", "product"] = "tender"
        pf = rm.Portfolio.from_frames(f["exporters"], f["importers"], cov)
        sc = rm.scenario_from_dict({"calls": {"given_default": {"tender": 1.0}, "rate_without_default": {"tender": 0.0}},
                                    "lgd": {"tender": {"mean": 0.5, "sd": 0.0}}})
        res = rm.simulate(pf, sc, n_sims=200, seed=3, method="plain")
        a = res.model.arrays
        tender = (res.model.covers["product"] == "tender").to_numpy()
        assert tender.any() and np.all(a.cv_p_call[tender] == 1.0) and np.all(a.cv_lgd_mean[tender] == 0.5)
        assert np.all(a.cv_rate[tender] == 0.0) and not a.cv_credit[tender].any()
        try:
            rm.scenario_from_dict({"calls": {"given_default": {"tendr": 1.0}}})
        except rm.InputError as e:
            assert "tendr" in str(e)
        else:
            raise AssertionError("an unknown product key was accepted")
        print("ok", float(res.losses["loss"].mean()) >= 0)
    """)
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "NUMBA_DISABLE_JIT": "1"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "ok True"
