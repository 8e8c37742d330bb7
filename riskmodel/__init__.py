"""riskmodel: Monte Carlo portfolio risk for an export credit agency's programme
insuring the bank guarantees and receivables of small defence exporters.

Public API (a contract: see README):

    load_portfolio(path) -> Portfolio
    load_scenario(path) -> Scenario
    simulate(portfolio, scenario, n_sims=..., seed=...) -> SimulationResult
    result.contributions(by=..., measure=..., level=...), result.concentration(limits=...)
    whatif(portfolio, scenario, new_covers) -> WhatIf
"""
__version__ = "0.4.0"

from .errors import InputError, Problem, RiskModelError  # noqa: E402
from .portfolio import Portfolio, load_portfolio  # noqa: E402
from .reference import load_reference  # noqa: E402
from .scenario import Scenario, load_scenario, scenario_from_dict  # noqa: E402
from .engine import simulate  # noqa: E402
from .results import SimulationResult  # noqa: E402
from .sample import sample_portfolio  # noqa: E402
from .whatif import WhatIf, whatif  # noqa: E402

__all__ = [
    "InputError", "Problem", "RiskModelError", "Portfolio", "load_portfolio", "load_reference", "Scenario",
    "load_scenario", "scenario_from_dict", "simulate", "SimulationResult", "sample_portfolio", "whatif",
    "WhatIf", "__version__",
]
