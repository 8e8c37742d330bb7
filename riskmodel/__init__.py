"""riskmodel: Monte Carlo portfolio risk for an export credit agency's programme
insuring the bank guarantees and receivables of small defence exporters.

Public API (a contract: see README):

    load_portfolio(path) -> Portfolio
    load_scenario(path) -> Scenario
    simulate(portfolio, scenario, n_sims=..., seed=...) -> SimulationResult
    result.contributions(by=..., measure=..., level=...), result.concentration(limits=...)
    whatif(portfolio, scenario, new_covers) -> WhatIf
    compare(results_dir_a, results_dir_b) -> Comparison
"""
from .version import __version__

# Names load on first use (PEP 562), so that `import riskmodel` and the command line start without numba,
# scipy or pandas: `riskmodel --help` costs a Python start, not the whole library. The names are riskmodel.api's.
_EXPORTS = ("InputError", "Problem", "RiskModelError", "Portfolio", "load_portfolio", "load_reference", "Scenario",
            "load_scenario", "scenario_from_dict", "simulate", "SimulationResult", "sample_portfolio", "WhatIf",
            "whatif", "Comparison", "compare")
# modules notebooks reach by their short name: `from riskmodel import plots`
_MODULES = {"plots": "present.plots", "analytic": "analysis.analytic", "calibrate": "governance.calibrate"}
__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str):
    import importlib

    if name in _MODULES:
        value = importlib.import_module(f".{_MODULES[name]}", __name__)
    elif name in _EXPORTS:
        value = getattr(importlib.import_module(".api", __name__), name)
    else:
        raise AttributeError(f"module 'riskmodel' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__) | set(_MODULES))
