"""The README's "Running against a live vendor" section: its command runs as written, its table matches the CLI."""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest

from apiconform.cli import build_parser, main
from apiconform.engine import driver
from apiconform.engine.config import RunConfig
from apiconform.engine.options import (
    DEFAULT_MAX_REQUESTS,
    DEFAULT_REMOTE_RATE,
    DOCUMENTED_RATE_SHARE,
    PLANNED_REQUESTS,
)

from .conftest import Certificate

README = Path(__file__).resolve().parents[2] / "README.md"


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Running against a live vendor\n")
    return text[start : text.index("\n## ", start + 1)]


def test_the_example_command_runs_as_written(
    certificate: Certificate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    block = re.search(r"^```sh\n(.*?)^```$", _section(), flags=re.MULTILINE | re.DOTALL)
    assert block is not None
    lines = block.group(1).splitlines()
    assert lines[0].startswith("export APICONFORM_TOKEN="), "the token comes from a secret, not the command line"
    command = next(line for line in lines if line.startswith("apiconform run"))
    assert "--token " not in command
    shutil.copy(certificate.cert, tmp_path / "vendor-ca.pem")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("APICONFORM_TOKEN", "from-the-secret-store")
    configs: list[RunConfig] = []

    def record(config: RunConfig, **_: Any) -> int:
        configs.append(config)
        return 0

    monkeypatch.setattr(driver, "run", record)
    assert main(shlex.split(os.path.expandvars(command))[1:]) == 0
    (config,) = configs
    assert config.token == "from-the-secret-store"
    assert config.ca_bundle == str(tmp_path / "vendor-ca.pem") and not config.insecure
    assert (config.rate_limit, config.max_requests, config.max_time, config.timeout) == (2, 500, 900, 20)


def _run_parser() -> argparse.ArgumentParser:
    actions = build_parser()._actions
    commands = next(action for action in actions if isinstance(action, argparse._SubParsersAction))
    parser: argparse.ArgumentParser = commands.choices["run"]
    return parser


def test_the_limits_table_names_every_limit_with_its_default() -> None:
    rows = re.findall(r"^\| `(--[a-z-]+) [A-Za-z]+` \| ([^|]+) \|", _section(), flags=re.MULTILINE)
    documented = {option: default.strip() for option, default in rows}
    assert set(documented) == {
        "--rate-limit",
        "--max-requests",
        "--max-time",
        "--request-timeout",
        "--max-response-size",
    }
    run = _run_parser()
    defaults = {option: run.get_default(option.lstrip("-").replace("-", "_")) for option in documented}
    assert f"a plan of {PLANNED_REQUESTS}" in documented["--max-requests"]
    assert f"up to {DEFAULT_MAX_REQUESTS} to confirm failures" in documented["--max-requests"]
    assert documented["--request-timeout"] == f"{defaults['--request-timeout']:g}"
    assert documented["--max-response-size"] == f"{defaults['--max-response-size']:g}"
    assert documented["--max-time"] == "none" and defaults["--max-time"] is None
    rate = documented["--rate-limit"]
    assert "half the rate the vendor documents" in rate and f"or {DEFAULT_REMOTE_RATE:g} where none" in rate
    assert f"{DOCUMENTED_RATE_SHARE * 360 / 60:g} per second" in rate and rate.endswith(
        "only the embedded reference server is unpaced"
    )
