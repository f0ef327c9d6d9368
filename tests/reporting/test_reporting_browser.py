"""report.html in real headless Chromium: it renders, names the failure and its curl line, and the filter works."""

from __future__ import annotations

import re
import struct
import zlib
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from apiconform.reporting.browser import dump_dom, screenshot
from apiconform.reporting.html import render_html

from .conftest import FAILING, EmbeddedRun, make_report, require_browser, requirement

pytestmark = pytest.mark.browser

# Clicks the page's own filter controls and writes what stayed visible into the DOM, for --dump-dom to read.
SELF_CHECK = """
<script>
(function () {
  function visible(selector, attribute) {
    return Array.prototype.filter.call(document.querySelectorAll(selector), function (node) { return !node.hidden; })
      .map(function (node) { return node.getAttribute(attribute); }).sort().join(',');
  }
  var out = ['all ' + visible('.req', 'data-verdict')];
  document.querySelectorAll('#filters input[name=verdict]').forEach(function (box) {
    if (box.value !== 'fail') { box.click(); }
  });
  out.push('fail ' + visible('.req', 'data-verdict'));
  out.push('families ' + visible('.family', 'data-family'));
  out.push('address ' + location.hash);
  document.querySelector('#filters button[data-preset=findings]').click();
  out.push('findings ' + visible('.req', 'data-verdict'));
  document.querySelector('#filters button[data-preset=all]').click();
  out.push('reset ' + visible('.req', 'data-verdict'));
  var result = document.createElement('pre');
  result.id = 'selfcheck';
  result.textContent = out.join('\\n');
  document.body.appendChild(result);
})();
</script>
"""


class _Elements(HTMLParser):
    """Collects the attributes of every element, and the text of one element by id."""

    def __init__(self, text_of: str = "") -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text_of = text_of
        self.text = ""
        self._inside = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if self._inside:
            self._inside += 1
        elif self.text_of and attributes.get("id") == self.text_of:
            self._inside = 1

    def handle_endtag(self, tag: str) -> None:
        if self._inside:
            self._inside -= 1

    def handle_data(self, data: str) -> None:
        if self._inside:
            self.text += data


def _parse(dom: str, text_of: str = "") -> _Elements:
    parser = _Elements(text_of)
    parser.feed(dom)
    return parser


def _requirement_rows(dom: str) -> list[dict[str, Any]]:
    return [attrs for tag, attrs in _parse(dom).elements if tag == "div" and attrs.get("class") == "req"]


def test_the_report_renders_with_the_failure_and_its_curl_line(embedded_run: EmbeddedRun) -> None:
    require_browser()
    dom = dump_dom(embedded_run.directory / "report.html")
    rows = _requirement_rows(dom)
    report = embedded_run.report()
    assert len(rows) == len(report["requirements"])
    failing = [row for row in rows if row["data-verdict"] == "fail"]
    assert [row["id"] for row in failing] == [f"req-bitgo-oes-{FAILING}"]
    curl = embedded_run.requirement(FAILING)["failures"][0]["evidence"][0]["curl"]
    assert curl.replace("&", "&amp;") in dom
    # The script ran: it shows the filter controls and counts what is shown.
    elements = _parse(dom, text_of="shown")
    filters = next(attrs for tag, attrs in elements.elements if attrs.get("id") == "filters")
    assert "hidden" not in filters
    assert elements.text == str(len(rows))


def test_an_address_with_only_fail_shows_only_failures(embedded_run: EmbeddedRun) -> None:
    require_browser()
    dom = dump_dom(embedded_run.directory / "report.html", fragment="only=fail")
    rows = _requirement_rows(dom)
    shown = [row["id"] for row in rows if "hidden" not in row]
    assert shown == [f"req-bitgo-oes-{FAILING}"]
    assert all(row["data-verdict"] != "fail" for row in rows if "hidden" in row)


def test_the_verdict_checkboxes_filter_the_matrix(tmp_path: Path) -> None:
    require_browser()
    report = make_report(
        [
            requirement("OES-A-FAIL", "fail", family="paging"),
            requirement("OES-B-WARN", "warn", level="SHOULD", family="errors"),
            requirement("OES-C-PASS", "pass", family="sort"),
            requirement("OES-D-NOTEX", "not-exercised", family="sort"),
            # Markup in a message must stay text: this image would mark the page if it were ever parsed.
            requirement(
                "OES-E-WAIVED",
                "waived",
                family="filter",
                message="<img src=x onerror=\"document.body.setAttribute('data-pwned', 'yes')\">",
            ),
        ]
    )
    page = tmp_path / "report.html"
    page.write_text(render_html(report).replace("</body>", SELF_CHECK + "</body>"), encoding="utf-8")
    dom = dump_dom(page)
    result = dict(line.split(" ", 1) for line in _parse(dom, text_of="selfcheck").text.splitlines())
    assert result == {
        "all": "fail,not-exercised,pass,waived,warn",
        "fail": "fail",
        "families": "paging",
        "address": "#only=fail",
        "findings": "fail,waived,warn",
        "reset": "fail,not-exercised,pass,waived,warn",
    }
    body = next(attrs for tag, attrs in _parse(dom).elements if tag == "body")
    assert "data-pwned" not in body


def test_screenshot_writes_a_png_of_the_page(tmp_path: Path) -> None:
    require_browser()
    page = tmp_path / "report.html"
    page.write_text(render_html(make_report()), encoding="utf-8")
    png = screenshot(page, tmp_path / "report.png", width=800, height=600)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (800, 600)


def _pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """A PNG's width, height and rows of RGB(A) bytes (8-bit, not interlaced: what Chromium writes)."""
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    assert depth == 8 and colour in (2, 6) and interlace == 0
    channels = 3 if colour == 2 else 4
    chunks, offset = [], 8
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if kind == b"IDAT":
            chunks.append(data[offset + 8 : offset + 8 + length])
        offset += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up, corner = previous[x], previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                guess = left + up - corner
                near = min((abs(guess - left), 0), (abs(guess - up), 1), (abs(guess - corner), 2))[1]
                line[x] = (line[x] + (left, up, corner)[near]) & 0xFF
        rows.append(bytes(line) if channels == 3 else bytes(b for i, b in enumerate(line) if i % 4 != 3))
        previous = line
    return width, height, rows


def _colours(rows: list[bytes]) -> Counter[tuple[int, int, int]]:
    """How many pixels of a picture have each colour."""
    found: Counter[tuple[int, int, int]] = Counter()
    for row in rows:
        found.update(zip(row[0::3], row[1::3], row[2::3], strict=True))
    return found


def _share(colours: Counter[tuple[int, int, int]], colour: tuple[int, int, int], tolerance: int = 4) -> float:
    """The share of a picture's pixels within `tolerance` of `colour` in each channel."""
    near = sum(
        count
        for seen, count in colours.items()
        if all(abs(a - b) <= tolerance for a, b in zip(seen, colour, strict=True))
    )
    return near / colours.total()


def test_the_charts_render_in_chromium(tmp_path: Path) -> None:
    """report.html's charts as Chromium draws them (its verdict bars and its request timeline, the page cut
    to them): the bars' colours and the 429 wait's shading are on the screenshot, the rest is background."""
    require_browser()
    report = make_report()
    points = [[0.2 * index, 5.0 + (index % 7) * 3, 200 if index % 5 else 404] for index in range(60)]
    report["apis"][0]["timeline"] = {"points": points, "waits_on_429": [[4.0, 7.5]], "sampled_every": 1}
    page = render_html(report)
    charts = re.findall(r'<section id="(?:charts|timeline)">.*?</section>', page, flags=re.DOTALL)
    assert len(charts) == 2
    path = tmp_path / "charts.html"
    path.write_text(page[: page.index("<header>")] + "".join(charts) + "</body></html>", encoding="utf-8")
    png = screenshot(path, tmp_path / "charts.png", width=800, height=760)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    width, height, rows = _pixels(data)
    assert (width, height) == (800, 760)
    colours = _colours(rows)
    assert _share(colours, (255, 255, 255)) < 0.95  # not a blank page
    assert _share(colours, (0x2E, 0x7D, 0x32)) > 0.001  # the pass bars' green
    assert _share(colours, (0xC6, 0x28, 0x28)) > 0.0005  # the fail bars' red, between their stripes
    assert _share(colours, (0xFF, 0xDE, 0xAF), tolerance=8) > 0.01  # the 429 wait, shaded over white
