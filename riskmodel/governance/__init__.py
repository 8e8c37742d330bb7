"""Model governance: calibration from the agency's history, backtests against what was paid, and reverse
stress tests; the stage after analysis (it runs simulations and reads their results)."""
