"""`apiconform --version`: apiconform's own version and those of the libraries a verdict depends on."""

from __future__ import annotations

import platform
from importlib.metadata import version

import pytest

from apiconform import cli


def test_version_names_apiconform_and_the_libraries_a_verdict_depends_on(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["--version"])
    assert stopped.value.code == 0
    expected = (
        f"apiconform {version('apiconform')} (schemathesis {version('schemathesis')}, "
        f"hypothesis {version('hypothesis')}; Python {platform.python_version()})"
    )
    assert capsys.readouterr().out.strip() == expected
