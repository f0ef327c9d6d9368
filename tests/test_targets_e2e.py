"""Many targets, one run (issue 26's "Done when"): a config file with two targets, two reference servers
with different faults; one `apiconform run --target all` gives the combined report, each target's verdict
and the right exit code, with the targets run side by side; `--shard 1/2` and `2/2` together cover both and
`report --merge` joins them; a signal ends every target as interrupted; the token is nowhere."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from apiconform.server import ReferenceServer
from tests.engine.scripted import TEST_SERVER_RATE

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("targets")]

BRM = "brm-adjust-balance"
# Each target's fault and the MUST it fails: the combined report must put each failure on its own target.
FAULTS = {
    "counts": ("brm-result-count-missing", "BRM-HDR-RESULT-COUNT"),
    "status": ("brm-status-case-sensitive", "BRM-FILTER-STATUS"),
}
DEADLINE = 240
# Both servers take this token, which the file names only by reference and no output may show.
TOKEN = "targets-canary-token-8f3a9c1d"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, make_reference_server: Callable[..., ReferenceServer]) -> Path:
    """A folder with an apiconform.toml naming one target per faulty server; their token by reference."""
    folder = tmp_path_factory.mktemp("targets")
    # Few property-test examples: what is judged here is the many-target run, not the API.
    lines = [f"rate-limit = {TEST_SERVER_RATE}", "seed = 0", "max-examples = 3", ""]
    for name, (fault, _) in FAULTS.items():
        server = make_reference_server(faults=[fault], records=300, token=TOKEN)
        lines += [
            f"[targets.{name}]",
            f'api = "{BRM}"',
            f'base-url = "{server.api_base_url(BRM)}"',
            'token = "${BRM_TOKEN}"',
            "",
        ]
    (folder / "apiconform.toml").write_text("\n".join(lines), encoding="utf-8")
    return folder


def run(folder: Path, secret: str, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BRM_TOKEN": secret}
    env.pop("APICONFORM_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "apiconform", *argv],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )


def report(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def failed(combined: dict[str, Any]) -> dict[str, set[str]]:
    """Each target's failed requirements."""
    found: dict[str, set[str]] = {name: set() for name in FAULTS}
    for item in combined["requirements"]:
        if item["verdict"] == "fail":
            found[item["target"]].add(item["id"])
    return found


def nowhere(secret: str, *texts: str, folder: Path) -> None:
    for text in texts:
        assert secret not in text
    for path in folder.rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(encoding="utf-8", errors="replace"), path


@pytest.fixture(scope="module")
def combined_run(project: Path) -> subprocess.CompletedProcess[str]:
    return run(project, TOKEN, "run", "--target", "all", "--report-dir", "all")


def test_one_run_of_all_targets_gives_each_its_verdict_and_the_combined_exit_code(
    project: Path, combined_run: subprocess.CompletedProcess[str]
) -> None:
    assert combined_run.returncode == 1, combined_run.stderr[-2000:]
    combined = report(project / "all" / "report.json")
    assert (combined["verdict"], combined["exit_code"]) == ("fail", 1)
    assert [(entry["name"], entry["verdict"]) for entry in combined["targets"]] == [
        ("counts", "fail"),
        ("status", "fail"),
    ]
    # Each fault fails the requirement it breaks, on its own target only.
    for name, (_, rid) in FAULTS.items():
        other = next(each for each in FAULTS if each != name)
        assert rid in failed(combined)[name] and rid not in failed(combined)[other]
        assert report(project / "all" / name / "report.json")["target"]["name"] == name
    # Side by side, not one after the other: each target started before the other finished.
    spans = [
        (datetime.fromisoformat(entry["started"]), datetime.fromisoformat(entry["finished"]))
        for entry in combined["targets"]
    ]
    assert spans[0][0] < spans[1][1] and spans[1][0] < spans[0][1]
    assert (
        "[counts] [brm-adjust-balance]" in combined_run.stderr
        and "[status] [brm-adjust-balance]" in combined_run.stderr
    )
    assert "verdict: fail" in combined_run.stdout
    nowhere(TOKEN, combined_run.stdout, combined_run.stderr, folder=project / "all")


def test_two_shards_cover_both_targets_and_their_merge_is_the_combined_report(
    project: Path, combined_run: subprocess.CompletedProcess[str]
) -> None:
    secret = TOKEN
    shards: list[subprocess.CompletedProcess[str]] = [None, None]  # type: ignore[list-item]

    def shard(index: int) -> None:
        shards[index - 1] = run(
            project, secret, "run", "--target", "all", "--shard", f"{index}/2", "--report-dir", f"shard-{index}"
        )

    # The CI matrix's jobs run at the same time.
    threads = [threading.Thread(target=shard, args=(index,)) for index in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [outcome.returncode for outcome in shards] == [1, 1]
    assert [report(project / f"shard-{index}" / "report.json")["target"]["name"] for index in (1, 2)] == [
        "counts",
        "status",
    ]
    merged = run(project, secret, "report", "--merge", "shard-1", "shard-2", "--output", "merged")
    assert merged.returncode == 1, merged.stderr
    joined, combined = report(project / "merged" / "report.json"), report(project / "all" / "report.json")
    assert [(entry["name"], entry["verdict"]) for entry in joined["targets"]] == [
        (entry["name"], entry["verdict"]) for entry in combined["targets"]
    ]
    assert failed(joined) == failed(combined)
    nowhere(secret, *(outcome.stdout + outcome.stderr for outcome in shards), folder=project / "merged")


def test_a_signal_ends_every_target_as_interrupted(project: Path) -> None:
    env = {**os.environ, "BRM_TOKEN": TOKEN, "PYTHONUNBUFFERED": "1"}
    parent = subprocess.Popen(
        # Paced from the command line (which each target's process takes over), so that both still run
        # when the signal comes.
        [sys.executable, "-m", "apiconform", "run", "--target", "all", "--report-dir", "stopped", "--rate-limit", "20"],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert parent.stderr is not None
    seen: set[str] = set()
    for line in parent.stderr:
        # Once both targets are sending (each has said a progress line), the CI runner cancels the job.
        if line.startswith(tuple(f"[{name}] [" for name in FAULTS)):
            seen.add(line.split("]", 1)[0])
        if len(seen) == len(FAULTS):
            parent.send_signal(signal.SIGTERM)
            break
    parent.stderr.read()
    assert parent.wait(timeout=DEADLINE) == 143
    stopped = report(project / "stopped" / "report.json")
    assert (stopped["verdict"], stopped["exit_code"]) == ("interrupted", 143)
    assert {entry["verdict"] for entry in stopped["targets"]} == {"interrupted"}
    # Each target's own process took the signal and wrote its own interrupted report.
    for name in FAULTS:
        assert report(project / "stopped" / name / "report.json")["verdict"] == "interrupted"
