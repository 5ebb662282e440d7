"""The package's shape: no import circles, short functions and classes in the model core, few
long files, a short calendar (issue 22). These read the source with ``ast``; nothing runs."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import landsim

PACKAGE = Path(landsim.__file__).parent
#: folders outside the model core (the app, the command line, sweeps, calibration, validation)
NOT_CORE = ("app", "commands", "sweep", "calibration", "validation")
#: files allowed over 600 lines, and why
LONG_FILES = {
    "params.py": "every parameter's declaration: type, range, unit, description, source",
    "app/classroom/pages.py": "the classroom's pages (issue 20's)",
    "app/classroom/room.py": "the classroom's state and its views (issue 20's)",
}


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, name: str, modules: dict[str, Path]) -> set[str]:
    """The package's modules that module ``name`` imports at run time (anywhere in it, inside
    functions too; not under ``if TYPE_CHECKING:``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and _is_type_checking(node)
            for n in ast.walk(node)}  # fmt: skip
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return {m for m in found if m in modules and m != name}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_module_imports_one_that_imports_it_back():
    """No module of landsim imports, at run time and through any chain, a module that imports
    it back (imports under ``if TYPE_CHECKING:`` aside; a package's ``__init__`` counts as the
    package)."""
    modules = _modules()
    graph = {name: _imports(path, name, modules) for name, path in modules.items()}
    # importing landsim.x runs landsim/__init__.py first: that is not a circle of the code
    graph = {k: {m for m in v if not k.startswith(m + ".")} for k, v in graph.items()}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_circle():
    """The check above can fail: a two-module circle and a three-module one are found."""
    graph = {"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"e"}, "e": {"c"}, "f": {"a"}}
    assert _cycles(graph) == [["a", "b"], ["c", "d", "e"]]


def _core_files() -> list[Path]:
    return [
        p for p in sorted(PACKAGE.rglob("*.py")) if p.relative_to(PACKAGE).parts[0] not in NOT_CORE
    ]


def _lengths(kind: type) -> list[tuple[str, int]]:
    out = []
    for path in _core_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, kind):
                rel = path.relative_to(PACKAGE)
                out.append((f"{rel}:{node.name}", node.end_lineno - node.lineno + 1))
    return out


def test_no_function_in_the_model_core_is_over_80_lines():
    """Every function and method in the model core (landsim/ outside app/, commands/, sweep/,
    calibration/ and validation/) is at most 80 lines long, docstring included."""
    long = [(n, k) for n, k in _lengths(ast.FunctionDef) if k > 80]
    assert long == []


def test_no_class_in_the_model_core_is_over_400_lines():
    """Every class in the model core is at most 400 lines long, except the parameter
    declarations of params.py (one field per parameter)."""
    long = [(n, k) for n, k in _lengths(ast.ClassDef) if k > 400 and not n.startswith("params")]
    assert long == []


def test_at_most_three_files_are_over_600_lines():
    """At most three files of landsim are over 600 lines, and those are the ones listed with
    a reason in LONG_FILES."""
    long = {
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if len(p.read_text(encoding="utf-8").splitlines()) > 600
    }
    assert long <= set(LONG_FILES) and len(LONG_FILES) <= 3, sorted(long)


def test_the_calendar_is_at_most_300_lines():
    """model.py, the calendar of the farming year and its Mesa integration, is short."""
    assert len((PACKAGE / "model.py").read_text(encoding="utf-8").splitlines()) <= 300


def test_phase_modules_never_import_the_model():
    """Only the model imports the phase modules; no module of the model core imports
    landsim.model at run time, except those that build models for the user (bench, runner,
    ema and the package's lazy entry point)."""
    modules = _modules()
    builders = {"landsim", "landsim.timing", "landsim.runner", "landsim.ema"}
    importers = {
        name
        for name, path in modules.items()
        if "landsim.model" in _imports(path, name, modules)
        and name.split(".")[1:2] not in ([p] for p in NOT_CORE)
    }
    assert importers <= builders, sorted(importers - builders)


#: files that point into the code for readers: lessons, scenario and experiment files, the docs
POINTER_FILES = [
    *sorted((PACKAGE / "app" / "lessons").glob("*.toml")),
    *sorted((PACKAGE.parent / "scenarios").glob("*.toml")),
    *sorted((PACKAGE.parent / "experiments").glob("*.toml")),
    *sorted((PACKAGE.parent / "docs").glob("*.md")),
    PACKAGE.parent / "README.md",
]


def test_pointers_into_the_code_name_what_exists():
    """Every ``landsim/x.py`` that the lessons, scenario files and docs name exists, and every
    ``landsim/x.py: name`` names a function or class of that module (``name`` may be
    ``Class.method``)."""
    import importlib

    pointer = re.compile(r"`landsim/([\w/]+)\.py(?::\s*([\w.]+))?`")
    table = re.compile(r"\| `(\w+)\.py: (\w[\w.]*)`")
    missing = []
    for path in POINTER_FILES:
        text = path.read_text(encoding="utf-8")
        found = [(m, n) for m, n in pointer.findall(text)] + table.findall(text)
        for module, name in found:
            if not (PACKAGE / f"{module}.py").exists():
                missing.append(f"{path.name}: landsim/{module}.py")
                continue
            obj = importlib.import_module("landsim." + module.replace("/", "."))
            for part in name.split(".") if name else []:
                obj = getattr(obj, part, None)
            if obj is None:
                missing.append(f"{path.name}: landsim/{module}.py: {name}")
    assert missing == []
