"""ARCHITECTURE.md's rules, checked on the code: which package imports which, API knowledge only in specs/,
and no module-level state carried between the layers of a run."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "apiconform"
ENGINE = SRC / "engine"

# Names of the vendors, the APIs and their fields: none may be an identifier or a string the engine uses.
VENDOR_WORDS = re.compile(
    r"bitgo|\bbrm\b|brm[-_]|tmf|enterprise|allocation|adjust_?balance|usage_?type|oracle|@type|\boes\b|oes[-_]",
    re.IGNORECASE,
)


def _modules(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*.py") if "__pycache__" not in path.parts)


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings (which may cite a vendor as an example)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _words(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Every identifier and non-docstring string constant in `tree`, with its line."""
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Name):
            yield line, node.id
        elif isinstance(node, ast.Attribute):
            yield line, node.attr
        elif isinstance(node, ast.arg):
            yield line, node.arg
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield line, node.name
        elif isinstance(node, ast.keyword) and node.arg:
            yield line, node.arg
        elif isinstance(node, ast.alias):
            yield line, node.asname or node.name
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield line, node.value


@pytest.mark.parametrize("module", _modules(ENGINE), ids=lambda path: str(path.relative_to(SRC)))
def test_the_engine_names_no_vendor_api_or_field(module: Path) -> None:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    found = [f"{module.name}:{line}: {word!r}" for line, word in _words(tree) if VENDOR_WORDS.search(word)]
    assert not found, "API knowledge belongs in specs/:\n" + "\n".join(found)


def test_the_vendor_word_scan_finds_what_it_looks_for() -> None:
    """The scan above is not vacuous: it sees identifiers and strings, and skips docstrings only."""
    tree = ast.parse('"""BitGo as an example."""\nenterprise_id = "usageType"\n')
    assert [word for _, word in _words(tree) if VENDOR_WORDS.search(word)] == ["enterprise_id", "usageType"]


def _imports(module: Path) -> set[str]:
    """The apiconform modules `module` imports (at any depth of the file, lazy imports included)."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    package = ".".join(module.relative_to(SRC.parent).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found |= {f"{base}.{alias.name}" for alias in node.names} | {base}
    return {name for name in found if name.startswith("apiconform")}


def _part(name: str) -> str:
    """The layer an imported name belongs to: apiconform.<part> ("" for the package's own __version__)."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and not parts[1].startswith("__") else ""


# layer -> the layers it may import (ARCHITECTURE.md "Which way imports flow").
ALLOWED = {
    "contract": {"datafiles"},
    "datafiles": set(),
    "exitcodes": set(),
    "server": {"server", "exitcodes"},
    "reporting": {"reporting", "exitcodes", "datafiles"},
    "engine": {"engine", "contract", "reporting", "server", "exitcodes", "datafiles"},
}
# The engine reaches the reference server only to start it and to check the names of its faults and variants.
ENGINE_MODULES_USING_SERVER = {"session.py", "config.py"}


@pytest.mark.parametrize(
    "module",
    [path for path in _modules(SRC) if path.parts[len(SRC.parts)].removesuffix(".py") in ALLOWED],
    ids=lambda path: str(path.relative_to(SRC)),
)
def test_imports_flow_the_way_architecture_md_says(module: Path) -> None:
    layer = module.parts[len(SRC.parts)].removesuffix(".py")
    imported = {_part(name) for name in _imports(module)} - {""}
    assert imported <= ALLOWED[layer] | ({layer} if layer in ("engine", "server", "reporting") else set()), imported
    if layer == "engine" and "server" in imported:
        assert module.name in ENGINE_MODULES_USING_SERVER, f"{module.name} imports the reference server"


@pytest.mark.parametrize("module", _modules(ENGINE), ids=lambda path: str(path.relative_to(SRC)))
def test_no_module_global_carries_state_between_layers(module: Path) -> None:
    """No `global` statement, no writes into globals() or sys.modules: a run's state lives in its objects."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            problems.append(f"line {node.lineno}: global {', '.join(node.names)}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "globals":
            problems.append(f"line {node.lineno}: globals()")
        elif isinstance(node, ast.Attribute) and node.attr == "modules" and getattr(node.value, "id", "") == "sys":
            problems.append(f"line {node.lineno}: sys.modules")
    assert not problems, problems


def _exchange_constructions(tree: ast.AST) -> list[int]:
    """Lines of `tree` that construct an Exchange directly: `Exchange(...)`, or `cls(...)` inside the class."""
    lines = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Exchange"
    ]
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "Exchange":
            lines += [
                call.lineno
                for call in ast.walk(node)
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "cls"
            ]
    return lines


def test_an_exchange_is_made_in_one_place() -> None:
    """One reply, one Exchange: `Exchange.of` is the only construction in src/, so that a relation, the
    per-response checks and schemathesis' results all judge a reply in the same form."""
    found = [
        f"{module.relative_to(SRC)}:{line}"
        for module in _modules(SRC)
        for line in _exchange_constructions(ast.parse(module.read_text(encoding="utf-8")))
    ]
    assert len(found) == 1 and found[0].startswith("engine/exchange.py:"), found


def test_the_exchange_construction_scan_finds_what_it_looks_for() -> None:
    tree = ast.parse("class Exchange:\n    def of(cls):\n        return cls(1)\n\nreply = Exchange(2)\n")
    assert sorted(_exchange_constructions(tree)) == [3, 5]


# The reply's own rooms: what a check judges is read without schemathesis (target.readable and
# checks.validation are where schemathesis meets them).
WITHOUT_SCHEMATHESIS = ("exchange.py", "jsonbody.py", "plan.py")


@pytest.mark.parametrize("name", WITHOUT_SCHEMATHESIS)
def test_the_exchange_and_its_json_reader_import_no_schemathesis(name: str) -> None:
    tree = ast.parse((ENGINE / name).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {module for module in imported if module.split(".")[0] == "schemathesis"}, imported
