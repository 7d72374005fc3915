"""The package's shape: its import graph has no cycle, and no module reaches into another's
private names or into a private module of another package; bench/ and tests/ do not import
each other; the public surface is what ``__all__`` says.

Every import counts: module level, inside functions, and under ``TYPE_CHECKING``. An import of
a package is an edge to its ``__init__``; the implicit import of a module's parent packages is
not an edge (every re-exporting ``__init__`` would otherwise be a cycle).
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "venice_jupyter"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_module(name: str) -> bool:
    return name in MODULES


def _imports(name: str, path: Path) -> Iterator[tuple[str, str | None, int]]:
    """(module imported, name taken from it or None, line) for every import in a module."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if _is_module(full):
                    yield full, None, node.lineno  # a submodule, imported by name
                else:
                    yield base, alias.name, node.lineno


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for target, _, _ in _imports(name, path):
            if _is_module(target) and target != name:
                graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_import_graph_has_no_cycle() -> None:
    graph = _graph()
    assert sum(map(len, graph.values())) > 150  # the graph really was read
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _private_module(name: str) -> str | None:
    """The package a private module belongs to (``a.b._c`` -> ``a.b``), or None if public."""
    parts = name.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:i])
    return None


def _reaching_in() -> list[str]:
    bad = []
    for name, path in MODULES.items():
        for target, taken, line in _imports(name, path):
            where = f"{path.relative_to(ROOT)}:{line}"
            if taken is not None and taken.startswith("_") and not taken.startswith("__"):
                bad.append(f"{where} takes the private name {taken} from {target}")
            owner = _private_module(target)
            if owner is not None and not (name == owner or name.startswith(owner + ".")):
                bad.append(f"{where} imports {target}, private to {owner}")
    return bad


def test_no_module_reaches_into_another_s_private_parts() -> None:
    assert _reaching_in() == []


@pytest.mark.parametrize(("source", "forbidden"), [("tests", "bench"), ("bench", "tests")])
def test_bench_and_tests_do_not_import_each_other(source: str, forbidden: str) -> None:
    offenders = []
    for path in sorted((ROOT / source).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            offenders += [
                f"{path.relative_to(ROOT)}:{node.lineno} {n}"
                for n in names
                if n == forbidden or n.startswith(forbidden + ".")
            ]
    assert offenders == []


PUBLIC = {
    "venice_jupyter": {
        "APIError", "CapabilityError", "ConfigError", "Conversation", "MissingKeyError",
        "ParameterError", "RateLimitError", "Reply", "SchemaMismatchError", "StreamCancelled",
        "TransportError", "VeniceError", "Workspace", "__version__", "abatch", "achat", "batch",
        "chat", "compare",
        "load_ipython_extension", "panel", "sampling_lab", "unload_ipython_extension",
    },
}  # fmt: skip


def _public_modules() -> list[str]:
    return [name for name in MODULES if _private_module(name) is None]


@pytest.mark.parametrize("name", _public_modules())
def test_every_public_module_defines_what_its_all_lists(name: str) -> None:
    module = importlib.import_module(name)
    listed = getattr(module, "__all__", None)
    assert listed is not None, f"{name} has no __all__"
    assert len(set(listed)) == len(listed), f"{name}.__all__ repeats a name"
    missing = [n for n in listed if not hasattr(module, n)]
    assert missing == []


def test_the_top_level_surface() -> None:
    import venice_jupyter

    assert set(venice_jupyter.__all__) == PUBLIC["venice_jupyter"]
    assert callable(venice_jupyter.chat) and callable(venice_jupyter.panel)
    assert venice_jupyter.Reply.__name__ == "Reply"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = venice_jupyter.nope  # type: ignore[attr-defined]
