"""`apiconform checks` lists every check a catalog may cite (what it judges, the spec keys it needs, what a
citing requirement must quote), every check declares both, and a catalog citing a check nobody registered
is refused at load: one line and exit 2, through `catalog --spec` and `run --spec` alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apiconform.cli import main
from apiconform.engine.checknames import KNOWN_CHECKS
from apiconform.engine.checks import BUILTIN_CHECK_DESCRIPTIONS, BUILTIN_CHECKS, CHECKS
from tests.engine.test_own_spec import _readme_example_files


def test_every_check_declares_the_keys_it_needs_and_what_a_citing_quote_must_say():
    for name, check in CHECKS.items():
        assert check.needs and all(isinstance(key, str) and key.strip() for key in check.needs), name
        assert check.quote.strip() and "\n" not in check.quote, name
        assert check.doc.strip(), name
    assert [each.name for each in BUILTIN_CHECK_DESCRIPTIONS] == list(BUILTIN_CHECKS)
    for each in BUILTIN_CHECK_DESCRIPTIONS:
        assert each.doc.strip() and each.quote.strip() and "\n" not in each.quote, each.name


def test_the_names_catalog_checks_against_are_the_registry():
    """`apiconform catalog` checks names from a list that imports nothing heavy: it must be the registry's."""
    assert (*CHECKS, *BUILTIN_CHECKS) == KNOWN_CHECKS


def test_apiconform_checks_lists_every_check_with_what_it_judges_needs_and_must_quote(capsys):
    assert main(["checks"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{len(KNOWN_CHECKS)} checks a requirement's `checks:` may cite")
    for name, check in CHECKS.items():
        assert f"\n{name} " in out and f"\n  {name}\n    judges: " in out, name
        assert " ".join(check.quote.split()) in " ".join(out.split()), name
    assert "paging.requirements.size-bound" in out and "negative_data_rejection" in out
    assert main(["checks", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [each["name"] for each in listed] == list(KNOWN_CHECKS)
    assert all(each["judges"] and each["quote"] and isinstance(each["needs"], list) for each in listed)


def _widgets_citing(tmp_path: Path, check: str) -> Path:
    """The README's example spec folder, its first requirement citing `check`."""
    for name, body in _readme_example_files().items():
        if name.endswith("requirements.yaml"):
            body = body.replace("checks: [page_size_bound]", f"checks: [{check}]", 1)
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(body, encoding="utf-8")
    return tmp_path / "widgets" / "widgets.openapi.yaml"


@pytest.mark.parametrize("command", ["catalog", "run"])
def test_a_catalog_citing_an_unknown_check_is_one_line_and_exit_2(tmp_path, capsys, command):
    spec = _widgets_citing(tmp_path, "page_size_bund")
    argv = [command, "--spec", str(spec)]
    if command == "run":
        # Nothing listens there: the catalog is refused before anything is sent.
        argv += [
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--path-param",
            "shopId=s-42",
            "--report-dir",
            str(tmp_path / "r"),
        ]
    assert main(argv) == 2
    captured = capsys.readouterr()
    catalog = tmp_path / "widgets" / "requirements.yaml"
    assert captured.err.splitlines() == [
        f"apiconform: error: {catalog}: W-PAGE-LIMIT cites an unknown check 'page_size_bund'; "
        "`apiconform checks` lists them"
    ], captured.err
    assert not (tmp_path / "r").exists()


def test_a_catalog_citing_known_checks_still_loads(tmp_path, capsys):
    spec = _widgets_citing(tmp_path, "page_size_bound")
    assert main(["catalog", "--spec", str(spec)]) == 0
    assert "W-PAGE-LIMIT" in capsys.readouterr().out
