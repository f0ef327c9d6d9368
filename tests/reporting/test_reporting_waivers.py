"""Waivers: the file's validation, how they apply (applied, expired, stale) and the exit code they lead to."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from apiconform.cli import main
from apiconform.engine.reportjson import exit_code
from apiconform.reporting.waivers import Waiver, WaiverError, apply_waivers, load_waivers

from .conftest import make_report, requirement

VALID = """\
- requirement: OES-FILTER-STATUSES
  reason: known
  ticket: VENDOR-1
  expires: 2026-12-31
- requirement: BRM-FIELDS
  reason: "known too"
  ticket: SR-2
  expires: "2027-01-31"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_file_gives_its_waivers(tmp_path: Path) -> None:
    assert load_waivers(_write(tmp_path, VALID)) == (
        Waiver("OES-FILTER-STATUSES", "known", "VENDOR-1", date(2026, 12, 31)),
        Waiver("BRM-FIELDS", "known too", "SR-2", date(2027, 1, 31)),
    )
    assert load_waivers(_write(tmp_path, "")) == ()


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "- requirement: OES-X\n  reason: r\n  expires: 2026-01-01\n",
            "entry 1 (OES-X): 'ticket' is a required property",
        ),
        (
            "- {requirement: OES-X, reason: r, ticket: t, expires: 2026-02-30}\n",
            "entry 1 (OES-X): expires: must be a valid date",
        ),
        (
            "- {requirement: OES-X, reason: r, ticket: t, expires: 2026-01-01, owner: me}\n",
            "entry 1 (OES-X): unexpected key 'owner'",
        ),
        ("- {requirement: oes x, reason: r, ticket: t, expires: 2026-01-01}\n", "entry 1 (oes x): requirement:"),
        ("requirement: OES-X\n", "a waivers file is a YAML list of waivers"),
        ("- {requirement: OES-X, reason: r, ticket: t, expires: 2026-01-01}\n" * 2, "OES-X is waived twice"),
        ("- [unclosed\n", "not YAML at line 2"),
    ],
)
def test_an_invalid_file_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(WaiverError) as caught:
        load_waivers(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_missing_file_is_a_usage_error_before_anything_is_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--waivers", str(tmp_path / "absent.yaml")]) == 2
    assert capsys.readouterr().err == f"apiconform: error: {tmp_path / 'absent.yaml'}: no such file\n"


def _requirements() -> list[dict[str, Any]]:
    return [
        requirement("OES-A", "fail"),
        requirement("OES-B", "warn", level="SHOULD"),
        requirement("OES-C", "pass"),
        requirement("OES-D", "fail"),
    ]


def test_waivers_apply_expire_and_go_stale() -> None:
    items = _requirements()
    waivers = [
        Waiver("OES-A", "r", "T-A", date(2026, 6, 1)),
        Waiver("OES-B", "r", "T-B", date(2026, 6, 1)),
        Waiver("OES-C", "r", "T-C", date(2026, 6, 1)),
        Waiver("OES-D", "r", "T-D", date(2026, 5, 31)),
        Waiver("OES-ZZZ", "r", "T-Z", date(2026, 6, 1)),
    ]
    results = apply_waivers(items, waivers, today=date(2026, 6, 1))
    assert [(result["requirement"], result["status"]) for result in results] == [
        ("OES-A", "applied"),
        ("OES-B", "applied"),
        ("OES-C", "stale"),
        ("OES-D", "expired"),
        ("OES-ZZZ", "stale"),
    ]
    a, b, c, d = items
    assert (a["verdict"], a["original_verdict"], a["waiver"]["status"]) == ("waived", "fail", "applied")
    assert (b["verdict"], b["original_verdict"]) == ("waived", "warn")
    assert c["verdict"] == "pass" and "waiver" not in c
    assert (d["verdict"], d["waiver"]["status"]) == ("fail", "expired") and "original_verdict" not in d
    assert results[2]["detail"] == "matched nothing: OES-C is pass in this run"
    assert results[4]["detail"] == "matched nothing: OES-ZZZ is not a requirement of bitgo-oes"


def test_a_waiver_holds_through_its_expiry_date_and_not_a_day_longer() -> None:
    waiver = Waiver("OES-A", "r", "T", date(2026, 6, 1))
    assert apply_waivers(_requirements(), [waiver], date(2026, 6, 1))[0]["status"] == "applied"
    assert apply_waivers(_requirements(), [waiver], date(2026, 6, 2))[0]["status"] == "expired"


def test_the_gate_passes_waived_failures_and_fails_expired_ones() -> None:
    waived = make_report([requirement("OES-A", "waived"), requirement("OES-B", "pass")])
    assert exit_code(waived) == 0
    expired = make_report([requirement("OES-A", "fail"), requirement("OES-B", "pass")])
    expired["requirements"][0]["waiver"] = {"reason": "r", "ticket": "T", "expires": "2020-01-01", "status": "expired"}
    assert exit_code(expired) == 1
    untestable = make_report([requirement("OES-A", "inconclusive")])
    untestable["apis"][0]["verdict"] = "untestable"
    assert exit_code(untestable) == 3
