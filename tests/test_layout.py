"""The package's imports run one way: no module imports, however lazily, a module that imports it back."""
import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "riskmodel"


def _module(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every riskmodel module ``path`` imports anywhere (top level, inside functions, under TYPE_CHECKING)."""
    me = _module(path)
    package = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [f"{target}.{a.name}" for a in node.names]
            out |= {n for n in names if _exists(n)} or ({target} if _exists(target) else set())
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if _exists(a.name)}
    return {m for m in out if m.startswith("riskmodel") and m != me}


def _exists(module: str) -> bool:
    p = PKG.parent.joinpath(*module.split("."))
    return p.with_suffix(".py").is_file() or (p / "__init__.py").is_file()


def _graph() -> dict[str, set[str]]:
    return {_module(p): _imports(p) for p in PKG.rglob("*.py")}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph.get(m, ())):
            if n == "riskmodel":  # the package's lazy re-exports (__getattr__) point down, never back
                continue
            if state.get(n) == 1:
                return stack[stack.index(n):] + [n]
            if n not in state:
                found = visit(n)
                if found:
                    return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state:
            found = visit(m)
            if found:
                return found
    return None


def test_the_walker_sees_imports_and_finds_a_cycle():
    g = _graph()
    assert {"riskmodel.estimators", "riskmodel.lifetime"} <= g["riskmodel.results"]
    assert "riskmodel.paths" in g["riskmodel.sweep_spec"]  # a lazy import inside a function counts too
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycles():
    cycle = _cycle(_graph())
    assert cycle is None, " -> ".join(cycle)
