"""ARCHITECTURE.md's rules, checked on the code: which package imports which, API knowledge only in specs/,
and no module-level state carried between the layers of a run."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

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
    return _imports_of(ast.parse(module.read_text(encoding="utf-8")), module)


def _imports_of(tree: ast.AST, module: Path) -> set[str]:
    """The apiconform modules the parsed `module` imports."""
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
    "init": {"contract", "datafiles"},
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
    own = {layer} if layer in ("engine", "server", "reporting", "contract") else set()
    assert imported <= ALLOWED[layer] | own, imported
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


def test_the_option_table_is_a_leaf_of_the_engine() -> None:
    """options.py imports no engine module, so config.py (which builds on it) and the transport (which takes
    its defaults from it) can both import it, and the command line can declare `run`'s options without
    importing the engine's transport."""
    assert not {name for name in _imports(ENGINE / "options.py") if name.startswith("apiconform.engine")}
    assert "apiconform.engine.options" in _imports(ENGINE / "config.py")


# The third-party modules behind the commands that need them: the reference server (serve), and the
# engine's transport and runner (run).
HEAVY_MODULES = ("uvicorn", "starlette", "requests", "urllib3", "schemathesis", "pytest")
_HELP_IMPORTS = """
import sys
from apiconform import cli
imported = {}
for command in ("report", "diff", "publish", "trend", "catalog", "checks", "init", "completion", "", "serve"):
    try:
        cli.main([command, "--help"] if command else ["--help"])
    except SystemExit:
        pass
    imported[command] = sorted(name for name in HEAVY if name in sys.modules)
print(imported, file=sys.stderr)
"""


def test_the_command_line_imports_what_a_command_needs_only_for_that_command() -> None:
    """ARCHITECTURE.md: `cli` imports the others lazily, per command. `apiconform report --help` (and diff's,
    catalog's, checks', init's, completion's, the top-level one) imports neither the reference server nor the
    engine's transport; `serve --help` does import the server, so the check sees an import when there is one."""
    script = f"HEAVY = {HEAVY_MODULES!r}\n{_HELP_IMPORTS}"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    imported = ast.literal_eval(done.stderr.strip().splitlines()[-1])
    light = ("report", "diff", "publish", "trend", "catalog", "checks", "init", "completion", "")
    assert {command: imported[command] for command in light} == dict.fromkeys(light, []), imported
    assert {"uvicorn", "starlette"} <= set(imported["serve"]), imported


# --- the hallways inside the engine ----------------------------------------------------------------

# A test's node id or name is for people to read; what a test is about is the tag the plugin gives it
# (engine/plugin.py, SUITE_ITEM). Only f-string interpolation (a message naming the test) may use one.
TEST_NAME_ATTRIBUTES = {"nodeid", "name", "originalname"}
TEST_OBJECTS = {"item", "report", "node", "collector"}


def _test_name_reads(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Where `tree` reads a pytest node id, or a test object's name, other than to show it in an f-string."""
    shown = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.FormattedValue)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in TEST_NAME_ATTRIBUTES and id(node) not in shown:
            if node.attr == "nodeid" or (isinstance(node.value, ast.Name) and node.value.id in TEST_OBJECTS):
                yield node.lineno, ast.unparse(node)
        elif isinstance(node, ast.arg) and node.arg == "nodeid":
            yield node.lineno, "a nodeid argument"


@pytest.mark.parametrize("module", _modules(ENGINE), ids=lambda path: str(path.relative_to(SRC)))
def test_the_engine_reads_no_test_names(module: Path) -> None:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    found = [f"{module.name}:{line}: {what}" for line, what in _test_name_reads(tree)]
    assert not found, "read the item's SUITE_ITEM tag instead:\n" + "\n".join(found)


def test_the_test_name_scan_finds_what_it_looks_for() -> None:
    """The scan above is not vacuous: the parsing the plugin and the progress lines once did is found, a
    message that names the test is not."""
    tree = ast.parse(
        'api = item.name.split("__", 1)[1]\n'
        'if "test_requirement" in item.name: pass\n'
        "def pytest_runtest_logstart(self, nodeid, location): pass\n"
        "phase = _phase_of(report.nodeid)\n"
        'run.crashed(f"the property tests ({item.name})")\n'
    )
    assert sorted(line for line, _ in _test_name_reads(tree)) == [1, 2, 3, 4]


def _runtime_imports(module: Path) -> set[str]:
    """The apiconform modules `module` imports when it runs (lazy imports included; not those made only
    for the type checker, under `if TYPE_CHECKING:`)."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    return _imports_of(tree, module)


def _engine_module(name: str) -> str | None:
    """`apiconform.engine.x.y` -> the module's path relative to engine/ (x/y.py or x/__init__.py), if any."""
    parts = name.split(".")[2:]
    for length in range(len(parts), 0, -1):
        for candidate in (Path(*parts[:length]).with_suffix(".py"), Path(*parts[:length], "__init__.py")):
            if (ENGINE / candidate).is_file():
                return str(candidate)
    return None


def test_no_import_circle_inside_the_engine() -> None:
    """Each engine module builds only on modules below it (the plugin and the suite share the session's
    stash key; neither imports the other). Imports made only for the type checker do not count."""
    graph = {
        str(path.relative_to(ENGINE)): {
            found
            for name in _runtime_imports(path)
            if name.startswith("apiconform.engine.") and (found := _engine_module(name)) is not None
        }
        - {str(path.relative_to(ENGINE))}
        for path in _modules(ENGINE)
    }
    circles = []
    for start in graph:
        # Every module reachable from `start`; a circle when `start` is among them.
        seen, todo = set(), list(graph[start])
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(graph.get(current, ()))
        if start in seen:
            circles.append(start)
    assert not circles, f"modules on an import circle: {sorted(circles)}"


# The schemathesis wing: schemathesis' next major release should touch these modules only.
SCHEMATHESIS_MODULES = {"model/apirun.py", "checks/validation.py", "properties.py"}


def test_schemathesis_is_imported_by_its_wing_only() -> None:
    importing = set()
    for path in _modules(ENGINE):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            if any(name == "schemathesis" or name.startswith("schemathesis.") for name in names):
                importing.add(str(path.relative_to(ENGINE)))
    assert importing <= SCHEMATHESIS_MODULES, importing - SCHEMATHESIS_MODULES


# Why an API stopped has one owner (engine/model/control.py): these are written nowhere else in the engine.
STOP_FIELDS = {"budget_exhausted", "untestable", "stopped_at_failure", "stopped", "cut_by_target", "_stops"}
STOP_OWNER = ENGINE / "model" / "control.py"


def _attribute_writes(tree: ast.AST, names: set[str]) -> list[tuple[int, str]]:
    """The assignments (plain, augmented, annotated) to an attribute named in `names`, with their line."""
    found = []
    for node in ast.walk(tree):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = [leaf for target in node.targets for leaf in ast.walk(target)]  # a, b.c = ...
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        found += [(t.lineno, t.attr) for t in targets if isinstance(t, ast.Attribute) and t.attr in names]
    return found


@pytest.mark.parametrize(
    "module",
    [path for path in _modules(ENGINE) if path != STOP_OWNER],
    ids=lambda path: str(path.relative_to(SRC)),
)
def test_why_an_api_stopped_is_written_only_by_its_owner(module: Path) -> None:
    """Every stop goes through `RunControl.stop` (`run.stop(kind, reason)`), so one place decides what is said."""
    writes = _attribute_writes(ast.parse(module.read_text(encoding="utf-8")), STOP_FIELDS)
    assert not writes, [f"{module.name}:{line}: .{name} =" for line, name in writes]


def test_the_stop_write_scan_finds_what_it_looks_for() -> None:
    source = "run.budget_exhausted = True\na.b.stopped: str = 'x'\nrun.untestable += '!'\nx, run.cut_by_target = 1, 2\n"
    assert [name for _, name in _attribute_writes(ast.parse(source), STOP_FIELDS)] == [
        "budget_exhausted",
        "stopped",
        "untestable",
        "cut_by_target",
    ]


# The engine's folders are its floors; each builds only on the floors below it (imports made only for the
# type checker do not count). The transport reports its stops to the run's control, a leaf of the model
# that imports nothing of apiconform's, and takes its defaults from the option table, a leaf of the engine.
FLOORS = {
    "transport": ("apiconform.engine.transport.", "apiconform.engine.options", "apiconform.engine.model.control"),
    "model": ("apiconform.engine.model.", "apiconform.engine.transport."),
    "checks": ("apiconform.engine.checks", "apiconform.engine.model", "apiconform.engine.transport."),
}


@pytest.mark.parametrize(
    "module",
    [path for path in _modules(ENGINE) if path.relative_to(ENGINE).parts[0] in FLOORS],
    ids=lambda path: str(path.relative_to(SRC)),
)
def test_each_engine_folder_builds_only_on_the_folders_below_it(module: Path) -> None:
    allowed = FLOORS[module.relative_to(ENGINE).parts[0]]
    above = {
        name
        for name in _runtime_imports(module)
        if name.startswith("apiconform.engine") and not name.startswith(allowed)
    }
    assert not above, f"{module.relative_to(SRC)} imports from a floor above it: {sorted(above)}"


def test_the_stop_owner_imports_nothing_of_apiconform() -> None:
    assert _imports(STOP_OWNER) == set()


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
    assert len(found) == 1 and found[0].startswith("engine/model/exchange.py:"), found


def test_the_exchange_construction_scan_finds_what_it_looks_for() -> None:
    tree = ast.parse("class Exchange:\n    def of(cls):\n        return cls(1)\n\nreply = Exchange(2)\n")
    assert sorted(_exchange_constructions(tree)) == [3, 5]


# The contract package's rooms, each building on the ones before it: the typed model imports nothing of
# apiconform's, `openapi` adds the Contract object and the reference checks, `loading` reads and checks
# specs; the package's __init__ is its one public face, through which the rest of apiconform uses it.
CONTRACT = SRC / "contract"
CONTRACT_ROOMS = {
    "model.py": set(),
    "openapi.py": {"apiconform.datafiles", "apiconform.contract.model"},
    "loading.py": {"apiconform.datafiles", "apiconform.contract.model", "apiconform.contract.openapi"},
    "__init__.py": {"apiconform.contract.model", "apiconform.contract.openapi", "apiconform.contract.loading"},
}


def _module_imports(module: Path) -> set[str]:
    """The apiconform modules (not the names in them) that `module` imports."""
    return {
        name
        for name in _imports(module)
        if (SRC.parent / name.replace(".", "/")).with_suffix(".py").is_file()
        or (SRC.parent / name.replace(".", "/") / "__init__.py").is_file()
    }


def test_each_room_of_the_contract_package_builds_on_the_rooms_before_it() -> None:
    rooms = {path.name: path for path in _modules(CONTRACT)}
    assert set(rooms) == set(CONTRACT_ROOMS)
    beyond = {
        name: sorted(_module_imports(path) - CONTRACT_ROOMS[name] - {"apiconform"}) for name, path in rooms.items()
    }
    assert beyond == dict.fromkeys(rooms, []), beyond


def test_the_rest_of_apiconform_uses_the_contract_through_its_public_face() -> None:
    rooms = tuple(f"apiconform.contract.{name.removesuffix('.py')}" for name in CONTRACT_ROOMS if name != "__init__.py")
    behind = [
        f"{module.relative_to(SRC)}: {name}"
        for module in _modules(SRC)
        if CONTRACT not in module.parents
        for name in _module_imports(module)
        if name.startswith(rooms)
    ]
    assert behind == [], behind


def test_the_contract_package_exports_what_it_defines() -> None:
    """`__all__` names exactly what the package's __init__ binds (the rooms aside), as Hypothesis'
    `strategies/__init__.py` asserts of its own: a name imported there and left out of `__all__`, or
    listed and not imported, is found."""
    from apiconform import contract

    public = {name for name, value in vars(contract).items() if not name.startswith("_")}
    rooms = {name for name in public if isinstance(getattr(contract, name), ModuleType)}
    assert len(contract.__all__) == len(set(contract.__all__))
    assert set(contract.__all__) == public - rooms
    assert rooms == {name.removesuffix(".py") for name in CONTRACT_ROOMS if name != "__init__.py"}


def _third_party_imports(modules: list[Path]) -> set[str]:
    """The top-level names of the modules `modules` import at run time (not under `if TYPE_CHECKING:`) that
    are neither the standard library's nor apiconform's own."""
    names: set[str] = set()
    for module in modules:
        tree = ast.parse(module.read_text(encoding="utf-8"))
        typing_only = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
            for inner in ast.walk(node)
        }
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {name for name in names if name not in sys.stdlib_module_names and name != "apiconform"}


def _declared_distributions() -> set[str]:
    """The distributions pyproject.toml's [project] dependencies name, normalised (PEP 503)."""
    project = tomllib.loads((SRC.parents[1] / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {
        re.split(r"[\s<>=!~;\[]", spec, maxsplit=1)[0].lower().replace("_", "-") for spec in project["dependencies"]
    }


def test_every_library_the_package_imports_is_a_declared_dependency() -> None:
    """A gate installed from the wheel must get what it imports, at the versions its promises rest on: a
    module that arrives only as another library's dependency (urllib3 through requests) can change or
    vanish with that library's release."""
    distributions = importlib.metadata.packages_distributions()
    imported = _third_party_imports(_modules(SRC))
    undeclared = {
        name: sorted(distributions.get(name, [name]))
        for name in sorted(imported)
        if not {d.lower().replace("_", "-") for d in distributions.get(name, [name])} & _declared_distributions()
    }
    assert undeclared == {}


def test_the_declared_dependency_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    module = tmp_path / "sample.py"
    module.write_text(
        "import json\nimport urllib3.util\nfrom yaml import safe_load\nfrom . import sibling\n"
        "if TYPE_CHECKING:\n    from _typeshed import StrPath\n"
    )
    assert _third_party_imports([module]) == {"urllib3", "yaml"}
    assert {"pyyaml", "schemathesis", "urllib3"} <= _declared_distributions()
