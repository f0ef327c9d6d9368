"""Write README's picture of report.html (docs/report-charts.png): its charts, as headless Chromium draws them.

The page is the run's own report.html cut to its verdict charts and one API's request timeline (the rest of
the report is text the README shows otherwise), rendered by apiconform's own browser helper.

    apiconform run --api all --reference-fault oes-statuses-ignored --reference-fault oes-html-500-on-bad-sort \\
        --reference-fault oes-204-when-empty --screenshot --report-dir /tmp/readme-run
    python tools/report_picture.py /tmp/readme-run/report.html docs/report-charts.png --api bitgo-oes

Exit status: 0 when the picture is written, 2 when the report holds no charts or Chromium cannot draw it.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

from apiconform.reporting.browser import BrowserError, screenshot


def charts_page(page: str, api: str) -> str:
    """report.html cut to its verdict charts and the request timeline of `api` (its head kept: the styles)."""
    charts = re.search(r'<section id="charts">.*?</section>', page, flags=re.DOTALL)
    timeline = re.search(
        rf"<h3>{re.escape(api)}(?: <span[^<]*</span>)?</h3><figure>.*?</figure>", page, flags=re.DOTALL
    )
    if charts is None or timeline is None:
        raise ValueError(f"the report has no verdict charts or no request timeline of {api}")
    return (
        page[: page.index("<header>")]
        + charts.group()
        + f'<section id="timeline"><h2>Requests over time</h2>{timeline.group()}</section></body></html>'
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path, help="a run's report.html")
    parser.add_argument("output", type=Path, help="the PNG to write")
    parser.add_argument("--api", required=True, help="the API whose request timeline is shown")
    parser.add_argument("--width", type=int, default=800)
    parser.add_argument("--height", type=int, default=1000)
    args = parser.parse_args()
    try:
        page = charts_page(args.report.read_text(encoding="utf-8"), args.api)
        with tempfile.TemporaryDirectory() as folder:
            cut = Path(folder) / "charts.html"
            cut.write_text(page, encoding="utf-8")
            screenshot(cut, args.output, width=args.width, height=args.height)
    except (OSError, ValueError, BrowserError) as exc:
        print(f"report_picture: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.output} ({args.output.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
