"""A spec the user wrote runs with zero engine code (`--spec FILE`), path parameters are generic
(`--path-param NAME=VALUE`, with the shorthand a spec declares), and a broken spec is one line and
exit 2 on every route: `apiconform run` at the embedded server, at a --base-url, and the pytest door."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from apiconform import contract
from apiconform.cli import _first_look, build_parser, main
from apiconform.engine import config as engine_config
from apiconform.engine import options, suite

BRM_FOLDER = "brm-tmf654"
OES = "bitgo-oes"


def _copy_api(tmp_path: Path, folder: str, name: str, change: Any = None) -> Path:
    """Copy one API's spec, catalog and sources to `tmp_path/name/`, renamed `name`; `change(spec)` edits the spec."""
    target = tmp_path / name
    shutil.copytree(contract.specs_dir() / folder, target)
    (spec_path,) = target.glob("*.openapi.yaml")
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    spec["x-apiconform"]["api"] = name
    if change is not None:
        change(spec)
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    catalog_path = target / spec["x-apiconform"]["catalog"]
    catalog = yaml.safe_load(catalog_path.read_text(encoding="utf-8"))
    catalog["api"] = name
    catalog_path.write_text(yaml.safe_dump(catalog, sort_keys=False), encoding="utf-8")
    return spec_path


@pytest.mark.e2e
def test_a_copied_spec_under_a_new_name_runs_with_spec_against_the_reference_server(tmp_path, capsys):
    spec_path = _copy_api(tmp_path, BRM_FOLDER, "my-balances")
    assert "my-balances" not in contract.api_names()
    code = main(["run", "--spec", str(spec_path), "--report-dir", str(tmp_path / "r"), "-q"])
    captured = capsys.readouterr()
    assert code == 0, captured
    report = json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))
    assert [api["api"] for api in report["apis"]] == ["my-balances"]
    assert report["verdict"] == "pass"
    judged = [item for item in report["requirements"] if item["verdict"] == "pass"]
    assert len(judged) >= len(report["requirements"]) * 3 // 4, "most requirements were judged, not skipped"


def _broken(spec: dict[str, Any]) -> None:
    spec["x-apiconform"]["list"]["operation"] = "noSuchOperation"


def _elsewhere(spec: dict[str, Any]) -> None:
    spec["paths"] = {"/somewhere/else": spec["paths"].popitem()[1]}


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (_broken, "noSuchOperation"),
        (_elsewhere, "the embedded reference server does not implement"),
    ],
    ids=["broken-spec", "not-on-the-reference-server"],
)
def test_a_spec_that_cannot_run_is_one_line_and_exit_2(tmp_path, capsys, change, says):
    spec_path = _copy_api(tmp_path, BRM_FOLDER, "my-balances", change)
    code = main(["run", "--spec", str(spec_path), "--report-dir", str(tmp_path / "r")])
    captured = capsys.readouterr()
    assert code == 2, captured
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("apiconform: error: ") and says in lines[0], captured.err
    assert not (tmp_path / "r").exists()


def _specs_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, shipped: bool) -> Path:
    """A specs folder ($APICONFORM_SPECS) holding a user's API the reference server does not implement
    (`my-elsewhere`), and BRM's shipped one if `shipped`."""
    specs = tmp_path / "specs"
    shutil.copytree(contract.specs_dir() / "schemas", specs / "schemas")
    if shipped:
        shutil.copytree(contract.specs_dir() / BRM_FOLDER, specs / BRM_FOLDER)
    _copy_api(specs, BRM_FOLDER, "my-elsewhere", _elsewhere)
    monkeypatch.setenv("APICONFORM_SPECS", str(specs))
    return specs


def test_api_all_at_the_embedded_server_tests_the_apis_it_implements_and_names_the_one_left_out(tmp_path, monkeypatch):
    """README: a folder under specs/ is part of `--api all`; at the embedded reference server, which
    implements only the shipped APIs, `all` means those, and the run says which API it left out."""
    _specs_folder(tmp_path, monkeypatch, shipped=True)
    assert list(contract.api_names()) == ["brm-adjust-balance", "my-elsewhere"]
    with pytest.warns(engine_config.ConfigurationWarning) as said:
        config = engine_config.run_config({"api": "all", "report_dir": str(tmp_path / "r")})
    assert config.apis == ["brm-adjust-balance"]
    (warning,) = said
    assert "leaves out my-elsewhere, which the server does not implement" in str(warning.message)
    # At a --base-url every API of the folder is tested: nothing is left out there.
    at_a_vendor = engine_config.run_config(
        {"api": "all", "base_url": ["https://vendor.example.test"], "report_dir": str(tmp_path / "r")}
    )
    assert at_a_vendor.apis == ["brm-adjust-balance", "my-elsewhere"]


def test_api_all_at_the_embedded_server_with_none_of_its_apis_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    _specs_folder(tmp_path, monkeypatch, shipped=False)
    code = main(["run", "--report-dir", str(tmp_path / "r")])
    captured = capsys.readouterr()
    assert code == 2, captured
    assert captured.err.strip().splitlines() == [
        "apiconform: error: the embedded reference server implements none of the APIs in the specs folder "
        "(my-elsewhere); test them at their own server with --base-url"
    ]


def test_a_broken_spec_at_a_base_url_is_one_line_and_exit_2(tmp_path, capsys):
    spec_path = _copy_api(tmp_path, BRM_FOLDER, "my-balances", _broken)
    # Nothing listens there: the spec is refused before anything is sent.
    argv = ["run", "--spec", str(spec_path), "--base-url", "http://127.0.0.1:9/brm", "--report-dir", str(tmp_path)]
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2 and len(captured.err.strip().splitlines()) == 1 and "noSuchOperation" in captured.err


def test_a_broken_spec_is_one_line_and_exit_2_under_plain_pytest_too(tmp_path):
    spec_path = _copy_api(tmp_path, BRM_FOLDER, "my-balances", _broken)
    argv = [sys.executable, "-m", "pytest", "-p", "apiconform.engine.plugin", "-p", "no:cacheprovider"]
    argv += ["--spec", str(spec_path), "--report-dir", str(tmp_path / "r"), suite.__file__]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=tmp_path, timeout=300, check=False)
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr[-2000:]
    # pytest's own banner repeats it on stdout; standard error holds the one line.
    assert done.stderr.strip().splitlines() == [
        "Exit: apiconform: my-balances: no operation 'noSuchOperation' in adjust-balance.openapi.yaml"
    ], done.stderr[-2000:]
    assert "Traceback" not in done.stdout + done.stderr


def test_path_parameters_come_from_path_param_or_the_shorthand_a_spec_declares():
    values: dict[str, Any] = {"api": OES, "base_url": ["http://127.0.0.1:9/api/network/v1"]}
    by_name = engine_config.run_config({**values, "path_param": ["enterpriseId=e-1"]})
    by_shorthand = engine_config.run_config({**values, "enterprise_id": "e-1"})
    assert by_name.path_params == by_shorthand.path_params == {"enterpriseId": "e-1"}
    assert "--enterprise-id" in [flag for flag, _ in options.run_options()]


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ({}, "needs --enterprise-id (or --path-param enterpriseId=VALUE)"),
        ({"path_param": ["enterpriseId"]}, "expected NAME=VALUE"),
        ({"path_param": ["enterpriseId=a"], "enterprise_id": "b"}, "give two values"),
    ],
    ids=["missing", "malformed", "contradicting"],
)
def test_path_parameters_that_cannot_work_are_refused(extra, says):
    values = {"api": OES, "base_url": ["http://127.0.0.1:9/api/network/v1"], **extra}
    with pytest.raises(engine_config.ConfigurationError, match=says.replace("(", r"\(").replace(")", r"\)")):
        engine_config.run_config(values)


def test_spec_and_api_must_agree(tmp_path):
    spec_path = _copy_api(tmp_path, BRM_FOLDER, "my-balances")
    with pytest.raises(engine_config.ConfigurationError, match="disagree"):
        engine_config.run_config({"api": OES, "spec": str(spec_path)})


# --- README: "Testing your own list endpoint" -----------------------------------------------------------

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_example_files() -> dict[str, str]:
    """The example's files, by the path each block's first line names (`# widgets/...`)."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Testing your own list endpoint", 1)[1].split("\n## ", 1)[0]
    files = {}
    for block in section.split("```")[1::2]:
        language, _, body = block.partition("\n")
        first, _, rest = body.partition("\n")
        if language in ("yaml", "text") and first.startswith("# widgets/"):
            files[first.removeprefix("# ")] = rest
    return files


def test_the_readme_example_is_a_complete_spec_folder_that_loads(tmp_path, capsys):
    files = _readme_example_files()
    assert sorted(files) == [
        "widgets/requirements.yaml",
        "widgets/sources/list-widgets.txt",
        "widgets/widgets.openapi.yaml",
    ]
    for name, body in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(body, encoding="utf-8")
    spec = tmp_path / "widgets" / "widgets.openapi.yaml"
    loaded = contract.load_spec(spec)
    assert loaded.api == "widgets" and loaded.semantics.path_parameters == {"shopId": "shop-id"}
    assert main(["catalog", "--spec", str(spec)]) == 0
    assert "W-FILTER-COLOR" in capsys.readouterr().out
    values = {"spec": str(spec), "base_url": ["https://api.example.com/v1"], "path_param": ["shopId=s-42"]}
    assert engine_config.run_config(values).path_params == {"shopId": "s-42"}


def _readme_example(tmp_path: Path) -> Path:
    """The README example's folder, written under `tmp_path`; its spec file."""
    for name, body in _readme_example_files().items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(body, encoding="utf-8")
    return tmp_path / "widgets" / "widgets.openapi.yaml"


def _readme_run_command() -> list[str]:
    """The README example's `apiconform run` command line, as its words after `apiconform`."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Testing your own list endpoint", 1)[1].split("\n## ", 1)[0]
    (line,) = [line for line in section.splitlines() if line.startswith("apiconform run --spec widgets/")]
    return line.split("#", 1)[0].split()[1:]


def test_the_readme_run_command_takes_the_shorthand_its_spec_declares(tmp_path, monkeypatch):
    """README: `apiconform run --spec widgets/widgets.openapi.yaml ... --shop-id s-42` (issue 25, item 5):
    the shorthand a spec outside the specs folder declares is an option once --spec names it."""
    _readme_example(tmp_path)
    monkeypatch.chdir(tmp_path)
    words = _readme_run_command()
    assert "--shop-id" in words
    args = build_parser("run", _first_look(words).get("spec")).parse_args(words)
    assert engine_config.run_config(vars(args)).path_params == {"shopId": "s-42"}


def test_a_spec_shorthand_and_path_param_that_disagree_are_one_line_and_exit_2(tmp_path, capsys):
    spec = _readme_example(tmp_path)
    argv = ["run", "--spec", str(spec), "--base-url", "http://127.0.0.1:9/v1", "--shop-id", "a"]
    code = main([*argv, "--path-param", "shopId=b", "--report-dir", str(tmp_path / "r")])
    captured = capsys.readouterr()
    assert code == 2 and captured.err.splitlines() == [
        "apiconform: error: --shop-id and --path-param shopId give two values"
    ], captured


def test_the_pytest_door_takes_the_shorthand_its_spec_declares(tmp_path, monkeypatch, capsys):
    """`pytest -p apiconform.engine.plugin --spec FILE --shop-id ...`: the plugin adds the spec's shorthands
    once pytest has read --spec. Two values for shopId prove the shorthand reached the run's options (the run
    is refused before anything is sent); before, pytest refused `--shop-id` as unrecognized (exit 4)."""
    spec = _readme_example(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # only what this door needs: quicker in-process
    argv = ["-p", "apiconform.engine.plugin", "-p", "no:cacheprovider", "--spec", str(spec)]
    argv += ["--base-url", "http://127.0.0.1:9/v1", "--shop-id", "a", "--path-param", "shopId=b"]
    code = pytest.main([*argv, "--report-dir", str(tmp_path / "r"), "--pyargs", "apiconform.engine.suite"])
    captured = capsys.readouterr()
    assert code == 2, captured
    assert "apiconform: --shop-id and --path-param shopId give two values" in captured.err, captured


@pytest.mark.parametrize("shorthand", ["seed", "help", "quiet"])
def test_a_shorthand_that_is_already_an_option_is_one_line_and_exit_2(tmp_path, capsys, shorthand):
    spec = _readme_example(tmp_path)
    spec.write_text(
        spec.read_text(encoding="utf-8").replace("{shopId: shop-id}", f"{{shopId: {shorthand}}}"), encoding="utf-8"
    )
    code = main(["run", "--spec", str(spec), "--base-url", "http://127.0.0.1:9/v1", "--report-dir", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 2 and captured.err.splitlines() == [
        f"apiconform: error: x-apiconform path-parameters: the shorthand --{shorthand} (the same as --path-param "
        "shopId=VALUE) is already an option of this command; declare another name for it"
    ], captured


# --- lenient servers (issue 25, item 2) -------------------------------------------------------------------


def _typed_widgets(tmp_path: Path, *, declares_400: bool) -> Path:
    """The README example with two query parameters whose schemas rule values out and no invalid-inputs
    example for them (`size`, an integer; `@type`, an enum: a name YAML must quote), its list operation
    declaring a 400 response or not."""
    spec_path = _readme_example(tmp_path)
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    operation = spec["paths"]["/shops/{shopId}/widgets"]["get"]
    operation["parameters"] += [
        {"name": "size", "in": "query", "schema": {"type": "integer"}},
        {"name": "@type", "in": "query", "schema": {"enum": ["round", "square"]}},
    ]
    if declares_400:
        operation["responses"]["400"] = {"description": "A query value that is not of its parameter's type."}
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return spec_path


def test_a_typed_parameter_whose_invalid_values_the_document_does_not_reject_needs_no_example(tmp_path):
    """A lenient server's document declares no 400: `size=ten` is answered as the server likes, so the
    spec needs no invalid-inputs example (until issue 25 it was refused: 'constrained query parameters
    without an invalid-inputs example')."""
    loaded = contract.load_spec(_typed_widgets(tmp_path, declares_400=False))
    assert "size" in loaded.constrained_parameters() and "size" not in loaded.invalid_value_requirements()


def test_schemathesis_values_outside_a_lenient_parameters_schema_charge_no_requirement(tmp_path):
    """The property tests' `negative_data_rejection` on `size=<not an integer>` answered 200 fails no
    requirement, not even W-PAGE-INVALID, which cites the check for offset and limit (D-GEN-55)."""
    from types import SimpleNamespace

    from apiconform.engine.checks.validation import builtin_requirements

    loaded = contract.load_spec(_typed_widgets(tmp_path, declares_400=False))
    run: Any = SimpleNamespace(
        contract=loaded,
        semantics=loaded.semantics,
        citing=lambda check: [r.id for r in loaded.requirements if check in r.checks],
    )

    def charged(parameter: str) -> list[str]:
        data = SimpleNamespace(parameter=parameter)
        case: Any = SimpleNamespace(meta=SimpleNamespace(phase=SimpleNamespace(data=data)))
        answered: Any = SimpleNamespace(status_code=200)
        return builtin_requirements(run, "negative_data_rejection", case, answered, object())

    assert charged("size") == charged("@type") == []
    assert charged("limit") == ["W-PAGE-INVALID"]


def test_a_document_that_rejects_invalid_values_needs_an_example_and_the_error_shows_the_yaml(tmp_path, capsys):
    spec_path = _typed_widgets(tmp_path, declares_400=True)
    assert main(["catalog", "--spec", str(spec_path)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == (
        f"apiconform: error: {spec_path}: 'listWidgets' declares a 400 response, so its document refuses invalid "
        "values, and query parameter 'size' has values its schema rules out: add to x-apiconform "
        "`invalid-inputs: [{query: {size: ten}, requirement: ID}]` (ID: the requirement quoting the sentence "
        "that rejects them), or, where the document leaves them open, `tolerated-inputs: [{query: {size: ten}, "
        "accept: [rejected, ignored], requirement: ID}]` (accept: what the document allows of rejected, empty, "
        "ignored, answered); the same for '@type'"
    )


def test_the_yaml_the_error_shows_makes_the_spec_load(tmp_path):
    """Written as the message says (an example for `size`, a tolerated entry for `@type`), the spec loads."""
    spec_path = _typed_widgets(tmp_path, declares_400=True)
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    semantics = spec["x-apiconform"]
    semantics["invalid-inputs"] += yaml.safe_load("[{query: {size: ten}, requirement: W-PAGE-INVALID}]")
    tolerated = "[{query: {'@type': no-such-value}, accept: [rejected, ignored], requirement: W-PAGE-INVALID}]"
    semantics["tolerated-inputs"] = yaml.safe_load(tolerated)
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    loaded = contract.load_spec(spec_path)
    assert loaded.invalid_value_requirements()["size"] == "W-PAGE-INVALID"


def test_a_quote_that_is_not_in_its_source_is_refused(tmp_path):
    """Loading checks quotes word for word, so a user's catalog cannot rest on a paraphrase."""
    spec_path = _copy_api(tmp_path, BRM_FOLDER, "my-balances")
    catalog_path = spec_path.parent / "requirements.yaml"
    catalog = yaml.safe_load(catalog_path.read_text(encoding="utf-8"))
    catalog["requirements"][0]["quote"] = "The vendor never said this."
    catalog_path.write_text(yaml.safe_dump(catalog, sort_keys=False), encoding="utf-8")
    with pytest.raises(contract.ContractError, match="is not in"):
        contract.load_spec(spec_path)
