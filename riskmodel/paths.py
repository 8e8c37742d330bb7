"""Where the bundled data lives (a light module: the CLI imports it before any verb runs)."""
from importlib import resources
from pathlib import Path


def bundled_sample() -> Path:
    """The bundled sample portfolio's directory (the default of every verb)."""
    return Path(str(resources.files("riskmodel") / "data" / "sample"))
