"""report.html's charts and `apiconform trend`: well-formed SVG whose numbers are the report's, names escaped,
the page's policy unchanged, old reports without a timeline, and the trend's order and bad inputs."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from apiconform import cli
from apiconform.reporting import html
from apiconform.reporting.charts import TrendRun, request_timeline, trend_lines, verdict_bars
from apiconform.reporting.document import counts
from apiconform.reporting.html import render_html
from apiconform.reporting.trend import collect

from .conftest import EmbeddedRun, make_report, requirement

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert('x')</script> & \"q\" \x1b[31m\u202e\ufffe"
TIMELINE = {
    "points": [[0.5, 12.0, 200], [1.0, 30.5, 200], [1.5, 8.0, 429], [3.0, 9.0, 404], [3.2, 500.0, "timeout"]],
    "waits_on_429": [[1.51, 2.9]],
    "sampled_every": 1,
}


def _svgs(page: str) -> dict[str, ET.Element]:
    """Every chart of a page, parsed as XML (a chart that is not well-formed fails here), by its id."""
    charts = [ET.fromstring(svg) for svg in re.findall(r"<svg\b.*?</svg>", page, flags=re.DOTALL)]
    return {chart.get("id", ""): chart for chart in charts}


def _bars(chart: ET.Element) -> dict[str, dict[str, int]]:
    """What a verdict chart draws: per row, each verdict's count (from the segments' data attributes)."""
    return {
        row.get("data-row", ""): {
            segment.get("data-verdict", ""): int(segment.get("data-count", ""))
            for segment in row.iter(f"{SVG}g")
            if segment.get("data-verdict")
        }
        for row in chart.iter(f"{SVG}g")
        if row.get("data-row") is not None
    }


def _drawn(tally: dict[str, int]) -> dict[str, int]:
    return {verdict: count for verdict, count in tally.items() if count}


def test_the_verdict_charts_draw_the_reports_counts_by_api_and_by_family() -> None:
    report = make_report(
        [
            requirement("OES-A", "fail", family="paging"),
            requirement("OES-B", "pass", family="paging"),
            requirement("OES-C", "warn", level="SHOULD", family="errors"),
            requirement("BRM-A", "pass", api="brm-adjust-balance", family="paging"),
            requirement("BRM-B", "not-exercised", api="brm-adjust-balance", family="sort"),
            requirement("BRM-C", "waived", api="brm-adjust-balance", family="sort"),
        ]
    )
    charts = _svgs(render_html(report))
    assert set(charts) == {"chart-apis", "chart-families"}
    by_api = _bars(charts["chart-apis"])
    assert by_api == {
        "bitgo-oes": {"fail": 1, "pass": 1, "warn": 1},
        "brm-adjust-balance": {"pass": 1, "not-exercised": 1, "waived": 1},
    }
    # A family's name across APIs is one row.
    assert _bars(charts["chart-families"]) == {
        "paging": {"fail": 1, "pass": 2},
        "errors": {"warn": 1},
        "sort": {"not-exercised": 1, "waived": 1},
    }
    for chart in charts.values():
        assert chart.get("role") == "img" and chart.findtext(f"{SVG}title") and chart.findtext(f"{SVG}desc")
    assert "brm-adjust-balance: 1 pass, 1 waived, 1 not-exercised" in charts["chart-apis"].findtext(f"{SVG}desc", "")


def test_one_api_with_one_verdict_and_a_report_without_requirements_render() -> None:
    report = make_report([requirement("OES-A", "pass")])
    charts = _svgs(render_html(report))
    assert _bars(charts["chart-apis"]) == {"bitgo-oes": {"pass": 1}}
    empty = make_report([])
    charts = _svgs(render_html(empty))
    assert list(charts) == ["chart-apis"] and _bars(charts["chart-apis"]) == {"bitgo-oes": {}}
    # All rows zero: a chart still, with nothing drawn and no division by zero.
    assert _bars(ET.fromstring(verdict_bars([("x", counts([]))], ident="c", title="t"))) == {"x": {}}


def test_hostile_family_and_api_names_stay_text_in_the_svg() -> None:
    report = make_report([requirement("OES-A", "fail", family=HOSTILE)])
    report["apis"][0]["title"] = HOSTILE
    page = render_html(report)
    charts = _svgs(page)  # well-formed XML, control characters and U+FFFE included
    assert "<script>alert" not in page
    [row] = _bars(charts["chart-families"])
    assert row.startswith("<script>alert('x')</script> & \"q\" \\x1b[31m\\u202e\\ufffe")


def test_the_page_policy_is_unchanged_and_the_charts_load_nothing(sample_report: dict[str, Any]) -> None:
    sample_report["apis"][0]["timeline"] = TIMELINE
    page = render_html(sample_report)
    assert html.CSP == (
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )
    assert page.count('http-equiv="Content-Security-Policy"') == 1
    for chart in _svgs(page).values():
        text = ET.tostring(chart, encoding="unicode")
        assert "<ns0:script" not in text and " style=" not in text and "href" not in text
        assert all(target.startswith("#") for target in re.findall(r"url\(([^)]*)\)", text))


def test_the_timeline_draws_each_request_by_status_class_and_the_429_waits(sample_report: dict[str, Any]) -> None:
    sample_report["apis"][0]["timeline"] = TIMELINE
    chart = _svgs(render_html(sample_report))["timeline-0"]
    drawn = {group.get("data-status"): int(group.get("data-count", "")) for group in chart.iter(f"{SVG}g")}
    assert drawn == {"2xx": 2, "429": 1, "4xx": 1, "none": 1}
    waits = [rect.get("data-wait") for rect in chart.iter(f"{SVG}rect") if rect.get("data-wait")]
    assert waits == ["1.51-2.9"]
    described = chart.findtext(f"{SVG}desc", "")
    assert "5 requests over 3.7 s" in described and "slowest 500 ms" in described and "1 wait on 429" in described


def test_a_report_without_a_timeline_says_why_and_one_without_requests_too(sample_report: dict[str, Any]) -> None:
    page = render_html(sample_report)
    assert "No request timeline: this report.json was written before apiconform recorded one." in page
    assert not any(name.startswith("timeline") for name in _svgs(page))
    sample_report["apis"][0]["timeline"] = {"points": [], "waits_on_429": [], "sampled_every": 1}
    assert "No request was sent to this API." in render_html(sample_report)
    # A lone point at time 0 with no latency: the axes still have a length.
    single = request_timeline({"points": [[0, 0, 200]], "waits_on_429": [], "sampled_every": 1}, ident="t", title="t")
    assert "NaN" not in single and "inf" not in single and ET.fromstring(single) is not None


def test_a_real_runs_timeline_has_a_point_per_request(embedded_run: EmbeddedRun) -> None:
    for api in embedded_run.report()["apis"]:
        timeline = api["timeline"]
        assert len(timeline["points"]) == api["requests"] and timeline["sampled_every"] == 1
        assert all(isinstance(point[2], int) for point in timeline["points"])


def _stored(folder: Path, started: str, verdict: str, tally: dict[str, int]) -> Path:
    report = make_report([requirement("OES-A", "pass")])
    report.update(started=started, verdict=verdict, exit_code=1 if verdict == "fail" else 0)
    report["counts"] = {**report["counts"], **tally}
    folder.mkdir(parents=True)
    (folder / "report.json").write_text(json.dumps(report), encoding="utf-8")
    return folder


def test_trend_orders_runs_by_start_and_labels_each_with_its_verdict(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    _stored(reports / "a-late", "2026-03-01T10:00:00+00:00", "pass", {"pass": 9, "fail": 0, "warn": 1})
    _stored(reports / "b-early", "2026-01-01T10:00:00+00:00", "fail", {"pass": 7, "fail": 2, "warn": 0})
    middle = _stored(tmp_path / "elsewhere", "2026-02-01T12:00:00+01:00", "pass", {"pass": 8, "fail": 0, "warn": 3})
    (reports / "latest").symlink_to("a-late")  # the same run twice is one point
    output = tmp_path / "trend.html"
    assert cli.main(["trend", str(reports), str(middle / "report.json"), "--output", str(output)]) == 0
    page = output.read_text(encoding="utf-8")
    chart = _svgs(page)["trend"]
    verdicts = [group.get("data-verdict") for group in chart.iter(f"{SVG}g") if group.get("data-verdict")]
    assert verdicts == ["fail", "pass", "pass"]
    lines = {
        line.get("data-line"): [
            int(point.get("data-count", "")) for point in line.iter(f"{SVG}g") if point.get("data-count")
        ]
        for line in chart.iter(f"{SVG}g")
        if line.get("data-line")
    }
    assert lines == {"pass": [7, 8, 9], "fail": [2, 0, 0], "warn": [0, 3, 1]}
    assert "script" not in page.replace("script-src", "") and "script-src" not in page
    assert page.index("2026-01-01T10:00:00") < page.index("2026-02-01T12:00:00") < page.index("2026-03-01T10:00:00")


def test_trend_skips_what_it_cannot_read_and_exits_2_when_nothing_is_left(
    tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    tmp_path = tmp_path_factory.mktemp("unreadable")  # not the test's tmp_path, whose report.json files must be valid
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "report.json").write_text("{", encoding="utf-8")
    (tmp_path / "other.json").write_text('{"format": 1}', encoding="utf-8")
    (tmp_path / "empty").mkdir()
    good = _stored(tmp_path / "good", "2026-01-01T10:00:00+00:00", "pass", {})
    named = [str(tmp_path / name) for name in ("broken", "other.json", "empty", "missing")]
    entries, warnings = collect([*named, good])
    assert [entry.path for entry in entries] == [good / "report.json"]
    broken, other, empty, missing = named
    assert warnings == [
        f"skipped {broken}/report.json: not JSON: Expecting property name enclosed in double quotes at line 1 column 2",
        f"skipped {other}: not an apiconform report: at (top level): 'interrupted' is a required property",
        f"skipped {empty}: no report.json in it nor in any folder in it",
        f"skipped {missing}: no such file or directory",
    ]
    assert cli.main(["trend", *named]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 5 and err[-1].startswith("apiconform: error: no readable report among")
    assert all(line.startswith("apiconform: warning: skipped ") for line in err[:4])


def test_the_trend_chart_of_one_run_and_of_hostile_labels_is_well_formed() -> None:
    chart = ET.fromstring(trend_lines([TrendRun(HOSTILE, "pass", {"pass": 0})], ident="t", title=HOSTILE))
    assert [group.get("data-count") for group in chart.iter(f"{SVG}g") if group.get("data-count")] == ["0", "0", "0"]
    assert chart.findtext(f"{SVG}title", "").startswith("<script>")
