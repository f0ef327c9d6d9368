"""A spec is data that cannot reach out (issue 22, items 3, 4, 7, 9 and 16): a hostile spec, catalog, source or
waivers file is refused at load with one line and exit 2, before anything is sent, by `apiconform catalog
--spec` and by `apiconform run --spec` alike; it makes the suite fetch nothing, read nothing outside the
spec's folder, print no file's content, and neither hang nor exhaust memory.

Each hostile spec is the small typed-list test spec with one change, written to tmp_path. The "remote" host
its references name is a loopback server that counts the requests reaching it (and is the run's target too).
The cases that hung or exhausted memory before run in one child process with a time and a memory limit, so
that a regression fails instead of hanging the tests.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from apiconform import contract, datafiles
from apiconform.cli import main
from tests.engine.typed_server import SPEC
from tests.loopback import InThread

TOKEN = "SeCrEtToKeN-abc123/XYZ+q=="
ERROR = "apiconform: error: "


class CountingHost:
    """A loopback HTTP server standing for any host a spec could name: it answers every GET with a small YAML
    schema (what a fetched `$ref` would want) and keeps the paths asked for."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host.paths.append(self.path)
                body = b"type: string\n"
                self.send_response(200)
                self.send_header("Content-Type", "application/yaml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = InThread(ThreadingHTTPServer(("127.0.0.1", 0), Handler))
        self.url = f"http://127.0.0.1:{self.server.port}"


@pytest.fixture
def remote() -> Iterator[CountingHost]:
    host = CountingHost()
    yield host
    host.server.stop()


@dataclass(frozen=True)
class Place:
    """Where a hostile spec is written: its folder (a copy of the typed-list spec's), and the token file
    beside that folder, outside it."""

    folder: Path
    token_file: Path
    remote: str

    @property
    def spec(self) -> Path:
        return self.folder / SPEC.name

    def parameter(self, spec: dict[str, Any], name: str) -> dict[str, Any]:
        parameters = spec["paths"]["/things"]["get"]["parameters"]
        found: dict[str, Any] = next(item for item in parameters if item.get("name") == name)
        return found


Change = Callable[[dict[str, Any], Place], str | None]  # edits the spec; or returns the spec's whole text


def _place(tmp_path: Path, remote: str, change: Change | None) -> Place:
    place = Place(tmp_path / "api", tmp_path / "token", remote)
    shutil.copytree(SPEC.parent, place.folder)
    place.token_file.write_text(TOKEN + "\n", encoding="utf-8")
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    text = change(spec, place) if change else None
    # JSON is YAML, and writes a 300-level nesting where PyYAML's dumper recurses too deep.
    place.spec.write_text(text if text is not None else json.dumps(spec), encoding="utf-8")
    return place


def _name_schema(value: dict[str, Any]) -> Change:
    """The `name` query parameter's schema becomes `value`."""

    def change(spec: dict[str, Any], place: Place) -> None:
        place.parameter(spec, "name")["schema"] = _at(value, place)

    return change


def _response_property(value: dict[str, Any]) -> Change:
    """A record's `name` property (in the 200 answer's schema) becomes `value`."""

    def change(spec: dict[str, Any], place: Place) -> None:
        spec["components"]["schemas"]["Thing"]["properties"]["name"] = _at(value, place)

    return change


def _at(value: Any, place: Place) -> Any:
    """`value` with REMOTE in its strings replaced by the counting host's URL."""
    return json.loads(json.dumps(value).replace("REMOTE", place.remote))


def _catalog(path: Callable[[Place], str]) -> Change:
    def change(spec: dict[str, Any], place: Place) -> None:
        spec["x-apiconform"]["catalog"] = path(place)

    return change


def _symlinked_catalog(spec: dict[str, Any], place: Place) -> None:
    (place.folder / "linked.yaml").symlink_to(place.token_file)
    spec["x-apiconform"]["catalog"] = "linked.yaml"


def _symlinked_source(spec: dict[str, Any], place: Place) -> None:
    source = place.folder / "sources" / "things.txt"
    source.unlink()
    source.symlink_to(place.token_file)


def _parameter_cycle(spec: dict[str, Any], place: Place) -> None:
    spec["components"]["parameters"] = {
        "p": {"$ref": "#/components/parameters/q"},
        "q": {"$ref": "#/components/parameters/p"},
    }
    spec["paths"]["/things"]["get"]["parameters"].append({"$ref": "#/components/parameters/p"})


def _self_reference(spec: dict[str, Any], place: Place) -> None:
    spec["components"]["parameters"] = {"p": {"$ref": "#/components/parameters/p"}}
    spec["paths"]["/things"]["get"]["parameters"].append({"$ref": "#/components/parameters/p"})


def _nested(levels: int) -> Change:
    def change(spec: dict[str, Any], place: Place) -> None:
        node: dict[str, Any] = {"type": "string"}
        for _ in range(levels):
            node = {"type": "object", "properties": {"a": node}}
        spec["components"]["schemas"]["Thing"]["properties"]["deep"] = node

    return change


def _reference_chain(links: int) -> Change:
    """Components C0 -> C1 -> ... each an object whose property refers to the next: shallow in the file,
    `links` objects deep with the references followed."""

    def change(spec: dict[str, Any], place: Place) -> None:
        schemas = spec["components"]["schemas"]
        for index in range(links):
            schemas[f"C{index}"] = {
                "type": "object",
                "properties": {"a": {"$ref": f"#/components/schemas/C{index + 1}"}},
            }
        schemas[f"C{links}"] = {"type": "string"}
        schemas["Thing"]["properties"]["deep"] = {"$ref": "#/components/schemas/C0"}

    return change


def _reference_bomb(spec: dict[str, Any], place: Place) -> None:
    """B7 has 10 properties of B6, which has 10 of B5...: a few lines naming 10^7 objects."""
    schemas = spec["components"]["schemas"]
    schemas["B0"] = {"type": "string"}
    for level in range(1, 8):
        below = {"$ref": f"#/components/schemas/B{level - 1}"}
        schemas[f"B{level}"] = {"type": "object", "properties": {f"p{i}": below for i in range(10)}}
    schemas["Thing"]["properties"]["bomb"] = {"$ref": "#/components/schemas/B7"}


def _recursive_parameter(spec: dict[str, Any], place: Place) -> None:
    spec["components"]["schemas"]["Tree"] = {
        "type": "object",
        "properties": {f"k{i}": {"$ref": "#/components/schemas/Tree"} for i in range(30)},
    }
    place.parameter(spec, "name")["schema"] = {"$ref": "#/components/schemas/Tree"}


def _wide_parameter(spec: dict[str, Any], place: Place) -> None:
    leaf = {"type": "object", "properties": {"x": {"type": "string"}}}
    middle = {"type": "object", "properties": {f"m{i}": leaf for i in range(10)}}
    place.parameter(spec, "name")["schema"] = {"type": "object", "properties": {f"t{i}": middle for i in range(10)}}


def _parameters_not_a_list(spec: dict[str, Any], place: Place) -> None:
    spec["paths"]["/things"]["parameters"] = 5


def _laughs() -> str:
    """A "billion laughs": 9 lines of YAML naming 10^9 strings."""
    lines = ['x-l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"x-l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 10)}]" for n in range(1, 9)]
    return "\n".join(lines) + "\n"


def _alias_bomb(spec: dict[str, Any], place: Place) -> str:
    return yaml.safe_dump(spec, sort_keys=False) + _laughs()


def _external_value(spec: dict[str, Any], place: Place) -> None:
    place.parameter(spec, "name")["examples"] = {"a": {"externalValue": f"{place.remote}/example"}}


def _add_parameter(reference: str) -> Change:
    def change(spec: dict[str, Any], place: Place) -> None:
        spec["paths"]["/things"]["get"]["parameters"].append({"$ref": _at(reference, place)})

    return change


@dataclass(frozen=True)
class Hostile:
    name: str
    change: Change
    says: str  # in the one error line


HOSTILE = [
    # Item 4: references and examples that would be fetched, or read from the disk.
    Hostile("remote-ref", _name_schema({"$ref": "REMOTE/schema.yaml"}), "'REMOTE/schema.yaml' refers outside the spec"),
    Hostile("remote-ref-in-a-response", _response_property({"$ref": "REMOTE/name.yaml"}), "refers outside the spec"),
    Hostile(
        "remote-ref-in-an-enum",
        _name_schema({"type": "string", "enum": [{"$ref": "REMOTE/enum.yaml"}, "gamma"]}),
        "#/paths/~1things/get/parameters/5/schema/enum/0/$ref: 'REMOTE/enum.yaml' refers outside the spec",
    ),
    Hostile("protocol-relative-ref", _response_property({"$ref": "//127.0.0.1:9/x.json"}), "refers outside the spec"),
    Hostile("file-url-ref", _name_schema({"$ref": "file:///etc/passwd"}), "refers outside the spec"),
    Hostile("relative-file-ref", _response_property({"$ref": "requirements.yaml#/api"}), "refers outside the spec"),
    Hostile("external-value", _external_value, "externalValue is not allowed"),
    Hostile("id-moves-the-base", _response_property({"$id": "REMOTE/base/", "type": "string"}), "$id is not allowed"),
    # Item 16: a parameter reference to a missing component or to a URL (a KeyError traceback before).
    Hostile(
        "missing-component",
        _add_parameter("#/components/parameters/x"),
        "'#/components/parameters/x' names nothing in the spec",
    ),
    Hostile("parameter-ref-to-a-url", _add_parameter("REMOTE/p.yaml"), "'REMOTE/p.yaml' refers outside the spec"),
    # Item 7: a cycle of references (100% CPU forever before; the self-reference runs guarded below).
    Hostile("ref-cycle", _parameter_cycle, "a cycle of $refs that never reaches a value"),
    # Item 16 and 9: too deep, too large, in the file or with the references followed.
    Hostile("nested-300-levels", _nested(300), "nested deeper than 100 levels"),
    Hostile("ref-chain-150-deep", _reference_chain(150), "nested deeper than 100 levels with its $refs followed"),
    Hostile("ref-bomb", _reference_bomb, "more than 500,000 values with its $refs followed"),
    Hostile("recursive-parameter", _recursive_parameter, "parameter 'name' has a schema that refers back to itself"),
    Hostile("wide-parameter", _wide_parameter, "parameter 'name' has more than 200 schema objects"),
    Hostile("parameters-not-a-list", _parameters_not_a_list, "not an OpenAPI document apiconform can read"),
    # Item 3: a catalog or a source outside the spec's folder (the token file beside it).
    Hostile("catalog-absolute", _catalog(lambda place: str(place.token_file)), "not inside"),
    Hostile("catalog-dotdot", _catalog(lambda place: "../token"), "not inside"),
    Hostile("catalog-etc-passwd", _catalog(lambda place: "/etc/passwd"), "not inside"),
    Hostile("catalog-symlink-out", _symlinked_catalog, "not inside"),
    Hostile("catalog-a-folder", _catalog(lambda place: "sources"), "not a regular file"),
    Hostile("source-symlink-out", _symlinked_source, "TL-PAGE-LIMIT: "),
]


def _refused(code: int, out: str, err: str, says: str) -> None:
    """Exit 2, one line on standard error saying `says`, no traceback, no file's content."""
    assert code == 2, (code, out, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(ERROR) and says in lines[0], err
    assert len(lines[0]) < 600, lines[0]
    for secret in (TOKEN, "SeCrEt", "root:x:0"):
        assert secret not in out + err
    assert "Traceback" not in out + err and "INTERNALERROR" not in out + err


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda case: case.name)
def test_a_hostile_spec_is_refused_by_catalog_and_run_before_anything_is_sent(
    hostile: Hostile, tmp_path: Path, remote: CountingHost, capsys: pytest.CaptureFixture[str]
) -> None:
    place = _place(tmp_path, remote.url, hostile.change)
    says = hostile.says.replace("REMOTE", remote.url)
    code = main(["catalog", "--spec", str(place.spec)])
    _refused(code, *capsys.readouterr(), says)
    # The counting host is the run's target too: a run that went on would have sent it something.
    reports = tmp_path / "reports"
    code = main(["run", "--spec", str(place.spec), "--base-url", f"{remote.url}/v1", "--report-dir", str(reports)])
    _refused(code, *capsys.readouterr(), says)
    assert remote.paths == [] and not reports.exists()


def test_a_recursive_response_schema_is_legitimate_and_loads(
    tmp_path: Path, remote: CountingHost, capsys: pytest.CaptureFixture[str]
) -> None:
    """A record that holds records of its own kind (a tree) is valid OpenAPI: replies are only validated
    against it, and it is measured up to where it comes back (DECISIONS.md D-GEN-30)."""

    def tree(spec: dict[str, Any], place: Place) -> None:
        thing = spec["components"]["schemas"]["Thing"]
        thing["properties"]["children"] = {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}

    place = _place(tmp_path, remote.url, tree)
    assert main(["catalog", "--spec", str(place.spec)]) == 0, capsys.readouterr()


# --- what hung or exhausted memory before: in a child process, limited in time and memory --------------------

_CHILD = """
import contextlib, io, json, sys
from apiconform.cli import main
for argv in json.loads(sys.stdin.read()):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    print(json.dumps([code, out.getvalue(), err.getvalue()]), flush=True)
"""


def _guarded(argvs: list[list[str]], cwd: Path) -> list[tuple[int, str, str]]:
    """Run each `apiconform` command line in one child process that may take 60 s and 1 GiB in all."""

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    done = subprocess.run(
        [sys.executable, "-c", _CHILD],
        input=json.dumps(argvs),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        preexec_fn=limit_memory,
        check=False,
    )
    results = [tuple(json.loads(line)) for line in done.stdout.splitlines()]
    assert len(results) == len(argvs), (done.returncode, done.stdout[-2000:], done.stderr[-2000:])
    return results


def test_cycles_fifos_dev_zero_and_alias_bombs_are_refused_at_once(tmp_path: Path) -> None:
    """Before: a self-reference spun at 100% CPU forever, a FIFO blocked the open, /dev/zero and an alias
    bomb (spec or waivers) ran out of memory. Each is now refused in one line, within the child's limits."""
    cases: list[tuple[list[str], str]] = []

    def spec(name: str, change: Change) -> Path:
        return _place(tmp_path / name, "http://127.0.0.1:9", change).spec

    def fifo_catalog(document: dict[str, Any], place: Place) -> None:
        os.mkfifo(place.folder / "catalog.fifo")
        document["x-apiconform"]["catalog"] = "catalog.fifo"

    for name, change, says in [
        ("self-reference", _self_reference, "a cycle of $refs"),
        ("catalog-fifo", fifo_catalog, "catalog.fifo: not a regular file"),
        ("catalog-dev-zero", _catalog(lambda place: "/dev/zero"), "/dev/zero: not inside"),
        ("alias-bomb", _alias_bomb, "more than 500,000 values with its YAML aliases expanded"),
    ]:
        cases.append((["catalog", "--spec", str(spec(name, change))], says))
    waivers_fifo = tmp_path / "waivers.fifo"
    os.mkfifo(waivers_fifo)
    waivers_bomb = tmp_path / "waivers-bomb.yaml"
    waivers_bomb.write_text(_laughs(), encoding="utf-8")
    valid = ["run", "--spec", str(spec("valid", lambda document, place: None)), "--base-url", "http://127.0.0.1:9/v1"]
    cases.append(([*valid, "--waivers", str(waivers_fifo)], "waivers.fifo: not a regular file"))
    cases.append(([*valid, "--waivers", str(waivers_bomb)], "with its YAML aliases expanded"))
    results = _guarded([argv for argv, _ in cases], tmp_path)
    for (argv, says), (code, out, err) in zip(cases, results, strict=True):
        assert says in err, (argv, err)
        _refused(code, out, err, says)


# --- item 3: no file's content in a message ----------------------------------------------------------------


def test_waivers_naming_the_token_file_say_what_is_wrong_without_its_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    code = main(["run", "--spec", str(SPEC), "--base-url", "http://127.0.0.1:9/v1", "--waivers", str(token_file)])
    _refused(code, *capsys.readouterr(), "a waivers file is a YAML list of waivers: must be of type array")


def test_a_catalog_that_breaks_its_schema_is_described_without_its_values(tmp_path: Path) -> None:
    """A catalog in the spec's folder that is someone's secret (or any text) is named, never quoted."""
    place = _place(tmp_path, "http://127.0.0.1:9", None)
    (place.folder / "requirements.yaml").write_text(TOKEN + "\n", encoding="utf-8")
    with pytest.raises(contract.ContractError) as caught:
        contract.load_spec(place.spec)
    assert str(caught.value).endswith("requirements.yaml: (top level): must be of type object"), caught.value
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("a: " + "x" * 5, None),
        ("&a [*a]", "the YAML alias 'a' is inside the node it names"),
        ("[" * 101 + "]" * 101, "nested deeper than 100 levels"),
        ("k: &d " + "[" * 60 + "]" * 60 + "\nj: " + "[" * 50 + "*d" + "]" * 50, "nested deeper than 100 levels"),
        ("- [unclosed\n", "not YAML at line 2"),
    ],
    ids=["plain", "recursive-alias", "too-deep", "deep-through-an-alias", "not-yaml"],
)
def test_yaml_limits(tmp_path: Path, text: str, says: str | None) -> None:
    path = tmp_path / "data.yaml"
    path.write_text(text, encoding="utf-8")
    if says is None:
        assert datafiles.read_yaml(path) == {"a": "xxxxx"}
        return
    with pytest.raises(datafiles.DataFileError, match=says.replace("[", r"\[")):
        datafiles.read_yaml(path)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as stream:
        stream.truncate(datafiles.MAX_FILE_BYTES + 1)  # sparse: nothing is written
    with pytest.raises(datafiles.DataFileError, match="larger than 8 MiB"):
        datafiles.read_text(path)


@pytest.mark.parametrize("door", ["environment", "token-file", "plain-pytest"])
def test_an_error_that_would_quote_the_token_masks_it(
    door: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The spec loads before the token is checked: a spec that names the token as its catalog's file (any
    path is printed whole) had it in the error line, through both doors."""
    place = _place(tmp_path, "http://127.0.0.1:9", _catalog(lambda place: TOKEN))
    options = ["--spec", str(place.spec), "--base-url", "http://127.0.0.1:9/v1"]
    if door == "plain-pytest":
        plain = [sys.executable, "-m", "pytest", "-p", "apiconform.engine.plugin", *options]
        done = subprocess.run(
            [*plain, "--pyargs", "apiconform.engine.suite"],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
            env={**os.environ, "APICONFORM_TOKEN": TOKEN},
            check=False,
        )
        assert done.returncode == 2 and "$APICONFORM_TOKEN: no such file" in done.stderr, done
        assert "SeCrEt" not in done.stdout + done.stderr
        return
    argv = ["run", *options]
    if door == "environment":
        monkeypatch.setenv("APICONFORM_TOKEN", TOKEN)
    else:
        monkeypatch.delenv("APICONFORM_TOKEN", raising=False)
        place.token_file.chmod(0o600)
        argv += ["--token-file", str(place.token_file)]
    _refused(main(argv), *capsys.readouterr(), "$APICONFORM_TOKEN: no such file")


@pytest.mark.parametrize("how", ["--token", "--token-file"])
def test_a_spec_read_for_its_shorthands_is_refused_with_the_named_token_masked(
    how: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`run --spec FILE` reads the spec before its command line is parsed (its shorthands are options); an
    error then quotes the spec's path, which may hold the token the same command line names."""
    monkeypatch.delenv("APICONFORM_TOKEN", raising=False)
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    token_file.chmod(0o600)
    named = [how, TOKEN if how == "--token" else str(token_file)]
    argv = ["run", "--spec", str(tmp_path / f"{TOKEN.replace('/', '_')}.yaml"), *named]
    _refused(main(argv), *capsys.readouterr(), "no such")
