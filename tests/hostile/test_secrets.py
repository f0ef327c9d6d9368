"""The token never leaves the run: not on the terminal, not in any report or recording, not to another host,
however the target reflects it; and configuration mistakes end with one line and exit code 2."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from apiconform.cli import main
from apiconform.engine.model.apirun import INVALID_TOKEN
from apiconform.server import ReferenceServer

from .conftest import BRM, TIGHT, HostileFactory, Outcome, no_traceback, run_argv


def test_a_target_that_echoes_the_token_never_gets_it_written(
    hostile: HostileFactory, upstream: ReferenceServer, run_cli: Callable[..., Outcome], tmp_path: Path
) -> None:
    server = hostile("echo")
    argv = run_argv(
        server, upstream, BRM, tmp_path / "r", *TIGHT, "--max-requests", "80", "--allow-partial", "--har", "--cassette"
    )
    outcome = run_cli([*argv, "--verbose"], token=upstream.token)
    no_traceback(outcome)
    # The target did get the token (it is the target), and reflected it in every answer; the only other
    # credentials sent are none and the known wrong token (the authentication check's).
    sent = [seen.headers.get("Authorization") for seen in server.requests()]
    assert set(sent) <= {f"Bearer {upstream.token}", None, f"Bearer {INVALID_TOKEN}"}, set(sent)
    assert sent.count(f"Bearer {upstream.token}") > len(sent) - 3
    written = sorted(path.name for path in outcome.directory.iterdir())
    assert {"report.json", "report.md", "report.html", "junit.xml", "property-tests.har"} <= set(written)
    for name in written:
        assert upstream.token not in outcome.text(name), name
    assert upstream.token not in outcome.terminal
    # What the target reflected is still shown, with the placeholder in the token's place.
    assert "you sent Bearer $APICONFORM_TOKEN" in outcome.text("property-tests.har")


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--request-timeout", "0"], "--request-timeout must be a positive number of seconds, got 0.0"),
        (["--request-timeout", "nan"], "--request-timeout must be a positive number of seconds, got nan"),
        (["--max-time", "-1"], "--max-time must be a positive number of seconds"),
        (["--rate-limit", "inf"], "--rate-limit must be a positive number of requests per second, got inf"),
        (["--max-response-size", "0"], "--max-response-size must be a positive number of MiB"),
        (["--ca-bundle", "/nonexistent/ca.pem"], "--ca-bundle: cannot read /nonexistent/ca.pem: No such file"),
        (["--ca-bundle", __file__], "holds no PEM certificate"),
        (["--ca-bundle", __file__, "--insecure"], "--ca-bundle and --insecure contradict each other"),
        (["--token", "has a space in it"], "--token: the token holds characters a bearer token cannot"),
        (["--token", "short"], "--token: a token shorter than 8 characters cannot be kept out of the reports"),
    ],
)
def test_a_configuration_error_is_one_line_and_exit_2(
    argv: list[str], says: str, capfd: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", "--api", BRM, "--base-url", "https://brm.example.test/brm/prepayBalanceManagement/v4", *argv])
    out, err = capfd.readouterr()
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("apiconform: error: "), err
    assert says in err
    assert "Traceback" not in err
    assert "has a space" not in err  # a token is never shown, however malformed


def test_a_malformed_token_from_the_environment_is_not_echoed(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APICONFORM_TOKEN", "s3cret\r\nX-Injected: yes")
    code = main(["run", "--api", BRM, "--base-url", "https://brm.example.test/brm/prepayBalanceManagement/v4"])
    _, err = capfd.readouterr()
    assert code == 2
    assert "$APICONFORM_TOKEN: the token holds characters a bearer token cannot" in err
    assert "s3cret" not in err
