"""The package's imports run one way: no module imports, however lazily, a module that imports it back, and
no stage imports a stage later in the data flow (inputs -> model -> kernels -> engine -> analysis -> governance ->
sweeps -> present; the API, the command line and the package root sit above them all)."""
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
    assert {"riskmodel.analysis.estimators", "riskmodel.analysis.lifetime"} <= g["riskmodel.analysis.results"]
    assert "riskmodel.inputs.paths" in g["riskmodel.sweeps.spec"]  # a lazy import inside a function counts too
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycles():
    cycle = _cycle(_graph())
    assert cycle is None, " -> ".join(cycle)


STAGES = ("inputs", "model", "kernels", "engine", "analysis", "governance", "sweeps", "present")
LEAVES = {"riskmodel.version"}  # imports nothing of riskmodel: any stage may record the version


def _stage(module: str) -> str | None:
    """The stage folder a module belongs to; None for the top (the package root, api, cli)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else None


def _upward(graph: dict[str, set[str]]) -> list[str]:
    """Every import from a stage into a later stage or into the top; kernels import only kernels."""
    bad = []
    for m, targets in sorted(graph.items()):
        s = _stage(m)
        if s is None or m in LEAVES:
            continue
        for t in sorted(targets - LEAVES):
            u = _stage(t)
            if u is None or STAGES.index(u) > STAGES.index(s) or (s == "kernels" and u != "kernels"):
                bad.append(f"{m} -> {t}")
    return bad


def test_every_module_sits_in_a_stage_folder_or_at_the_top():
    top = {"riskmodel", "riskmodel.api", "riskmodel.cli", "riskmodel.version"}
    loose = [m for m in _graph() if _stage(m) is None and m not in top and not m.startswith("riskmodel.cli.")]
    assert loose == [], f"modules outside the stage folders {STAGES}: {loose}"


def test_the_stage_check_finds_an_upward_import():
    assert _upward({"riskmodel.inputs.a": {"riskmodel.model.b"}}) == ["riskmodel.inputs.a -> riskmodel.model.b"]
    assert _upward({"riskmodel.kernels.a": {"riskmodel.inputs.b"}}) == ["riskmodel.kernels.a -> riskmodel.inputs.b"]
    assert _upward({"riskmodel.engine.a": {"riskmodel.api"}}) == ["riskmodel.engine.a -> riskmodel.api"]
    assert _upward({"riskmodel.engine.a": {"riskmodel.model.b", "riskmodel.version"}}) == []


def test_imports_run_down_the_data_flow():
    bad = _upward(_graph())
    assert bad == [], "imports against the data flow:\n" + "\n".join(bad)


MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80  # outside the kernels, whose per-simulation loops read best whole


def _too_long(path: Path, root: Path = PKG) -> list[str]:
    src = path.read_text()
    out = []
    if src.count("\n") > MAX_MODULE_LINES:
        out.append(f"{path.relative_to(root)}: {src.count(chr(10))} lines (split it by concern)")
    if path.parent.name != "kernels":
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    out.append(f"{path.relative_to(root)}:{node.lineno} {node.name}: {n} lines")
    return out


def test_modules_and_functions_stay_small():
    too_long = [t for p in sorted(PKG.rglob("*.py")) for t in _too_long(p)]
    assert too_long == [], "\n".join(too_long)


def test_the_size_check_sees_a_long_module_and_a_long_function(tmp_path):
    f = tmp_path / "long.py"
    f.write_text("def f():\n" + "    x = 1\n" * MAX_FUNCTION_LINES + "\n" * (MAX_MODULE_LINES - MAX_FUNCTION_LINES))
    assert _too_long(f, tmp_path) == [f"long.py: {MAX_MODULE_LINES + 1} lines (split it by concern)",
                                      f"long.py:1 f: {MAX_FUNCTION_LINES + 1} lines"]
    (tmp_path / "kernels").mkdir()
    k = tmp_path / "kernels" / "k.py"
    k.write_text("def f():\n" + "    x = 1\n" * MAX_FUNCTION_LINES)
    assert _too_long(k, tmp_path) == []  # the kernels' loops may run long


# namedtuple's public methods, and numba's cache internals (the kernel cache's locator, the CLI's compile notice)
NOT_PRIVATE = {"_replace", "_asdict", "_fields", "_make", "_cache", "_cache_file", "_load_index", "_cache_path",
               "_locator_classes", "_SourceFileBackedLocatorMixin"}


def _privates_read_elsewhere(path: Path, root: Path = PKG) -> list[str]:
    """``x._name`` where ``x`` is not ``self``/``cls`` and no class or function of this module defines ``_name``:
    a module reading another's private state."""
    tree = ast.parse(path.read_text())
    own = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            own.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            own.add(node.attr)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            own |= {t.id for t in targets if isinstance(t, ast.Name)}
    bad = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                and node.attr not in own and node.attr not in NOT_PRIVATE
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
            bad.append(f"{path.relative_to(root)}:{node.lineno} .{node.attr}")
    return bad


def test_no_module_reads_another_modules_private_attributes():
    bad = [b for p in sorted(PKG.rglob("*.py")) for b in _privates_read_elsewhere(p)]
    assert bad == [], "private state read across modules (add a public accessor):\n" + "\n".join(bad)


def test_the_private_check_sees_a_private_read(tmp_path):
    f = tmp_path / "probe.py"
    f.write_text("class A:\n    def g(self, other):\n        return other._mine\n    _mine = 1\n\n\n"
                 "def f(result):\n    return result._claims\n")
    assert _privates_read_elsewhere(f, tmp_path) == ["probe.py:8 ._claims"]


def test_every_public_name_resolves():
    """The package root lists the API's names once; each must come from riskmodel.api."""
    import riskmodel
    import riskmodel.api

    assert riskmodel.api.__all__ == list(riskmodel._EXPORTS)
    for name in riskmodel._EXPORTS:
        assert getattr(riskmodel, name) is getattr(riskmodel.api, name)
