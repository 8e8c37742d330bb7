"""The public API in one place: what ``import riskmodel as rm`` offers (``rm.simulate``, ...), a contract.

Each name lives in the stage that computes it; this module only gathers
them. ``riskmodel/__init__.py`` loads it on first use, so that importing the
package (and the command line's ``--help``) costs no numba, scipy or pandas.
"""
from .analysis.comparison import Comparison, compare
from .analysis.results import SimulationResult
from .analysis.simulation import simulate
from .analysis.whatif import WhatIf, whatif
from .inputs.errors import InputError, Problem, RiskModelError
from .inputs.portfolio import Portfolio, load_portfolio
from .inputs.reference import load_reference
from .inputs.sample import sample_portfolio
from .inputs.scenario import Scenario, load_scenario, scenario_from_dict

__all__ = [
    "InputError", "Problem", "RiskModelError",
    "Portfolio", "load_portfolio", "load_reference",
    "Scenario", "load_scenario", "scenario_from_dict",
    "simulate", "SimulationResult",
    "sample_portfolio",
    "WhatIf", "whatif",
    "Comparison", "compare",
]
