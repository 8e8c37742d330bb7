"""Where the bundled data lives, and files' digests (a light module: the CLI imports it before any verb)."""
import hashlib
from importlib import resources
from pathlib import Path


def bundled_sample() -> Path:
    """The bundled sample portfolio's directory (the default of every verb)."""
    return Path(str(resources.files("riskmodel") / "data" / "sample"))


def file_sha256(path) -> str:
    """SHA-256 of a file's bytes, read a megabyte at a time."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
