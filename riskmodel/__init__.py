"""riskmodel: Monte Carlo portfolio risk for an export credit agency's programme
insuring the bank guarantees and receivables of small defence exporters.

Public API (a contract: see README):

    load_portfolio(path) -> Portfolio
    load_scenario(path) -> Scenario
    simulate(portfolio, scenario, n_sims=..., seed=...) -> SimulationResult
    result.contributions(by=..., measure=..., level=...), result.concentration(limits=...)
    whatif(portfolio, scenario, new_covers) -> WhatIf
"""
__version__ = "0.7.0"

# Names load on first use (PEP 562), so that `import riskmodel` and the command line start without numba,
# scipy or pandas: `riskmodel --help` costs a Python start, not the whole library.
_EXPORTS = {
    "InputError": "errors", "Problem": "errors", "RiskModelError": "errors",
    "Portfolio": "portfolio", "load_portfolio": "portfolio",
    "load_reference": "reference",
    "Scenario": "scenario", "load_scenario": "scenario", "scenario_from_dict": "scenario",
    "simulate": "engine",
    "SimulationResult": "results",
    "sample_portfolio": "sample",
    "WhatIf": "whatif", "whatif": "whatif",
}
__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'riskmodel' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
