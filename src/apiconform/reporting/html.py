"""report.html: one self-contained page (inline CSS and JS, no network) for people who must act on a run.

The run header (the verdict, its meaning and, for a run not judged in full, why), the counts per API, the
findings (failures first, each with its curl line), the MUST requirements left unjudged, the waivers, then
the requirement matrix grouped by API and family. Every requirement expands to its quote, source, checks
and, for a failure, its evidence; for a pass, the observation that judged it (the check, what was
compared, the records and the request with its curl line); for one not judged, the reasons and their
cause. Checkboxes filter the matrix by verdict (`#only=fail,warn` in the address selects them on load).
Every value from the report is HTML-escaped; none is put inside a script or a style, and a
Content-Security-Policy forbids loading anything from anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from apiconform.reporting.charts import request_timeline, verdict_bars
from apiconform.reporting.document import (
    VERDICTS,
    counts,
    families,
    findings,
    headline,
    headline_evidence,
    insecure,
    meaning,
    of_api,
    one_line,
    plural,
    printable,
    printable_line,
    release_label,
    replay,
    run_settings,
    safety_notes,
    seed_label,
    shortfall,
    verdict_label,
    verdict_reasons,
)

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)


def e(value: Any) -> str:
    """HTML-escape any value (quotes too, so it is safe in attributes), made printable first: the page's
    source is text a CI log or a terminal may print (`apiconform report --format html`)."""
    return escape("" if value is None else printable(str(value)), quote=True)


def escaped_line(value: Any) -> str:
    """A one-line field (a title, a name) escaped as `e` does, on one line (`printable_line`)."""
    return e(printable_line(value))


def anchor(requirement: Mapping[str, Any]) -> str:
    """The element id of a requirement in the matrix."""
    return f"req-{requirement['api']}-{requirement['id']}"


def _link(url: str | None, label: str) -> str:
    # Only web addresses become links; anything else (a relative research path, a javascript: URL) is text.
    if url and url.startswith(("https://", "http://")):
        return f'<a href="{e(url)}" rel="noreferrer noopener">{e(label)}</a>'
    return e(label) + (f" <span class=muted>({e(url)})</span>" if url else "")


def _badge(verdict: str, label: str | None = None) -> str:
    return f'<span class="badge v-{e(verdict)}">{e(label or verdict)}</span>'


def _setting(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "none"
    return "none" if value is None else str(value)


def _header(report: Mapping[str, Any]) -> str:
    tool = report["tool"]
    rows = [
        (
            "Verdict",
            f"{_badge(report['verdict'], report['verdict'].upper())} {e(meaning(report['verdict']))}; "
            f"exit code {e(report['exit_code'])}",
        ),
        (
            "Target",
            ("embedded reference server; " if report["target"]["embedded_reference_server"] else "")
            + "<br>".join(f"{e(api)}: <code>{e(url)}</code>" for api, url in report["target"]["base_urls"].items()),
        ),
        (
            "Specs",
            "<br>".join(
                f"{e(api['api'])}: {e(api['spec']['file'])}"
                + (f" v{e(api['spec']['version'])}" if api["spec"].get("version") else "")
                + f' <code title="sha256">{e(api["spec"]["sha256"][:16])}</code>'
                + f"; catalog {e(api['spec']['catalog']['file'])}"
                + f' <code title="sha256">{e(api["spec"]["catalog"]["sha256"][:16])}</code>'
                + (f"; judged as {e(release_label(api))}" if release_label(api) else "")
                for api in report["apis"]
            ),
        ),
        (
            "Run",
            f"{e(report['started'])} → {e(report['finished'])} ({report['duration_seconds']:.1f} s); "
            f"seed {e(seed_label(report))}; {e(plural(report['requests'], 'request'))}",
        ),
        (
            "Tool",
            f"apiconform {e(tool['version'])}, schemathesis {e(tool['schemathesis'])}, "
            f"hypothesis {e(tool['hypothesis'])}, Python {e(tool['python'])}",
        ),
        (
            "Settings",
            "<br>".join(
                (f"{e(target)}: " if target else "")
                + ", ".join(f"{e(name.replace('_', '-'))} {e(_setting(value))}" for name, value in settings.items())
                for target, settings in run_settings(report).items()
            ),
        ),
        (
            "Redaction",
            f"the token is written as <code>{e(report['redaction']['token_placeholder'])}</code>"
            + (
                f"; secret headers ({e(', '.join(report['redaction']['secret_headers']))}) as "
                f"<code>{e(report['redaction']['header_mask'])}</code>"
                if report["redaction"]["secret_headers"]
                else ""
            ),
        ),
    ]
    rebuild = replay(report)
    if rebuild is not None:
        rows.append(
            (
                "Replay",
                f"<code>{e(rebuild['command'])}</code><br>{e(rebuild['token'])}"
                + (f"<br>{e(rebuild['note'])}" if rebuild.get("note") else ""),
            )
        )
    notes = safety_notes(report)
    if notes:
        rows.append(("Run safety", "<br>".join(e(note) for note in notes)))
    body = "".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in rows)
    warning = (
        '<p class="untestable insecure"><strong>TLS certificates were NOT verified (--insecure)</strong>: '
        "the answers may not have come from the real target.</p>"
        if insecure(report)
        else ""
    )
    reasons = verdict_reasons(report)
    why = (
        '<ul class="verdict-reasons untestable">' + "".join(f"<li>{e(line)}</li>" for line in reasons) + "</ul>"
        if reasons
        else ""
    )
    return (
        f"<header><h1>apiconform conformance report {_badge(report['verdict'], report['verdict'].upper())}</h1>"
        f'<p class="headline">{e(headline(report))}</p>{why}{warning}<table class="run">{body}</table></header>'
    )


def _api_table(report: Mapping[str, Any]) -> str:
    head = "".join(f"<th>{e(name)}</th>" for name in ("API", "verdict", *VERDICTS, "requests"))
    rows = []
    for api in report["apis"]:
        tally = counts(of_api(report, api["api"]))
        cells = "".join(f'<td class="num">{tally[name]}</td>' for name in VERDICTS)
        note = (
            f'<tr><td colspan="{len(VERDICTS) + 3}" class="untestable">could not be tested: '
            f"{e(api['untestable_reason'])}</td></tr>"
            if api.get("untestable_reason")
            else ""
        )
        note += "".join(
            f'<tr><td colspan="{len(VERDICTS) + 3}" class="untestable">{e(error)}</td></tr>'
            for error in api.get("suite_errors", ())
        )
        missing = shortfall(api) if api["verdict"] in ("incomplete", "partial", "interrupted") else None
        if missing:
            note += (
                f'<tr><td colspan="{len(VERDICTS) + 3}" class="untestable">not judged in full: {e(missing)}</td></tr>'
            )

        rows.append(
            f'<tr><td><a href="#api-{e(api["api"])}">{e(api["api"])}</a><br>'
            f"<span class=muted>{escaped_line(api['title'])}"
            f"</span></td><td>{_badge(api['verdict'])}</td>{cells}"
            f'<td class="num">{e(api["requests"])}</td></tr>{note}'
        )
    return f'<section id="apis"><h2>APIs</h2><table class="grid"><tr>{head}</tr>{"".join(rows)}</table></section>'


def _count_table(heading: str, rows: list[tuple[str, dict[str, int]]]) -> str:
    """A chart's numbers as a table, the chart's text alternative for those who do not see it."""
    head = "".join(f"<th>{e(name)}</th>" for name in (heading, *VERDICTS))
    body = "".join(
        f"<tr><td>{e(name)}</td>" + "".join(f'<td class="num">{tally[verdict]}</td>' for verdict in VERDICTS) + "</tr>"
        for name, tally in rows
    )
    return (
        '<details class="numbers"><summary>the numbers</summary>'
        f'<table class="grid"><tr>{head}</tr>{body}</table></details>'
    )


def _verdict_charts(report: Mapping[str, Any]) -> str:
    """The requirements' verdicts as stacked bars, by API and by requirement family (a family's name across
    APIs counts once), each with its numbers as a table."""
    by_api = [(api["api"], counts(of_api(report, api["api"]))) for api in report["apis"]]
    by_family = [(family, counts(items)) for family, items in families(report["requirements"])]
    figures = []
    for ident, heading, rows in (("chart-apis", "API", by_api), ("chart-families", "family", by_family)):
        if not rows:
            continue
        title = f"Requirements by verdict, per {heading}"
        figures.append(
            f'<figure id="figure-{ident}">{verdict_bars(rows, ident=ident, title=title)}'
            f"<figcaption>{e(title)}</figcaption>{_count_table(heading, rows)}</figure>"
        )
    if not figures:
        return ""
    return f'<section id="charts"><h2>Verdicts</h2>{"".join(figures)}</section>'


def _timelines(report: Mapping[str, Any]) -> str:
    """Each API's requests over the run (report.json's apis[].timeline), or a sentence why there is no chart."""
    parts = []
    for index, api in enumerate(report["apis"]):
        timeline = api.get("timeline")
        name = e(api["api"])
        if timeline is None:
            parts.append(
                f"<h3>{name}</h3><p class=muted>No request timeline: this report.json was written before "
                "apiconform recorded one.</p>"
            )
        elif not timeline["points"]:
            parts.append(f"<h3>{name}</h3><p class=muted>No request was sent to this API.</p>")
        else:
            title = f"{api['api']}: requests over the run, latency and 429 waits"
            sampled = (
                f" <span class=muted>(every {e(timeline['sampled_every'])}th request)</span>"
                if timeline["sampled_every"] > 1
                else ""
            )
            parts.append(
                f"<h3>{name}{sampled}</h3><figure>{request_timeline(timeline, ident=f'timeline-{index}', title=title)}"
                f"</figure>"
            )
    return f'<section id="timeline"><h2>Requests over time</h2>{"".join(parts)}</section>' if parts else ""


def _findings(report: Mapping[str, Any]) -> str:
    items = findings(report)
    if not items:
        return '<section id="findings"><h2>Findings</h2><p>No requirement failed or warned.</p></section>'
    entries = []
    for item in items:
        message, exchanges = headline_evidence(item)
        curl = "".join(f'<pre class="curl">{e(evidence["curl"])}</pre>' for evidence in exchanges)
        entries.append(
            f'<li class="finding" data-verdict="{e(item["verdict"])}">{_badge(item["verdict"], verdict_label(item))} '
            f'<a href="#{e(anchor(item))}"><strong>{e(item["id"])}</strong></a> ({e(item["level"])}) '
            f"{escaped_line(item['title'])}<div class=message>{e(one_line(message, 400))}</div>{curl}</li>"
        )
    return f'<section id="findings"><h2>Findings ({len(items)})</h2><ol>{"".join(entries)}</ol></section>'


def _unjudged(report: Mapping[str, Any]) -> str:
    """The MUST requirements that keep an API from pass (apis[].unjudged), each linked to its row."""
    rows = "".join(
        f'<li><a href="#{e(anchor({"api": api["api"], "id": item["id"]}))}"><strong>{e(item["id"])}</strong></a> '
        f"<span class=muted>({e(api['api'])}, cause: {e(item['cause'])})</span> {e(item['reason'])}</li>"
        for api in report["apis"]
        for item in api.get("unjudged") or ()
    )
    if not rows:
        return ""
    return f'<section id="unjudged"><h2>MUST requirements not judged</h2><ul>{rows}</ul></section>'


def _waivers(report: Mapping[str, Any]) -> str:
    if not report["waivers"]:
        return ""
    rows = "".join(
        f"<tr><td>{e(waiver['requirement'])}</td><td>{_badge(waiver['status'])}</td><td>{e(waiver['ticket'])}</td>"
        f"<td>{e(waiver['expires'])}</td><td>{e(waiver['reason'])}</td><td>{e(waiver['detail'])}</td></tr>"
        for waiver in report["waivers"]
    )
    head = "".join(f"<th>{name}</th>" for name in ("requirement", "status", "ticket", "expires", "reason", "detail"))
    return f'<section id="waivers"><h2>Waivers</h2><table class="grid"><tr>{head}</tr>{rows}</table></section>'


def _filters(report: Mapping[str, Any]) -> str:
    tally = report["counts"]
    boxes = "".join(
        f'<label><input type="checkbox" name="verdict" value="{e(verdict)}" checked> '
        f"{_badge(verdict)} <span class=muted>{tally.get(verdict, 0)}</span></label>"
        for verdict in VERDICTS
    )
    return (
        '<fieldset id="filters" hidden><legend>Show requirements whose verdict is</legend>'
        f"{boxes}"
        '<button type="button" data-preset="all">all</button>'
        '<button type="button" data-preset="findings">findings only</button>'
        ' <span class=muted><span id="shown"></span> shown</span></fieldset>'
    )


def _evidence(evidence: Mapping[str, Any]) -> str:
    headers = "".join(f"<li><code>{e(name)}: {e(value)}</code></li>" for name, value in evidence["headers"].items())
    body = f'<pre class="body">{e(evidence["body_excerpt"])}</pre>' if evidence["body_excerpt"] else ""
    return (
        '<div class="evidence">'
        f"<div><code>{e(evidence['method'])} {e(evidence['url'])}</code> → <strong>{e(evidence['status'])}</strong>"
        f" <span class=muted>{e(evidence['content_type'])}</span></div>"
        + (f"<ul class=headers>{headers}</ul>" if headers else "")
        + body
        + f'<div class="curl-line"><pre class="curl">{e(evidence["curl"])}</pre>'
        '<button type="button" class="copy" hidden>copy</button></div></div>'
    )


def _failures(requirement: Mapping[str, Any]) -> str:
    parts = []
    for failure in requirement["failures"]:
        detail = "".join(
            f"<dt>{name}</dt><dd><code>{e(failure[name])}</code></dd>"
            for name in ("expected", "received")
            if failure.get(name) is not None
        )
        parts.append(
            f'<div class="failure"><p><span class=muted>[{e(failure["check"])}]</span> {e(failure["message"])}</p>'
            + (f"<dl>{detail}</dl>" if detail else "")
            + "".join(_evidence(evidence) for evidence in failure["evidence"])
            + "</div>"
        )
    extra = requirement["failure_count"] - len(requirement["failures"])
    if extra > 0:
        parts.append(f"<p class=muted>{extra} more failure(s) of this requirement were seen and not kept.</p>")
    return "".join(parts)


def _pass_evidence(requirement: Mapping[str, Any]) -> str:
    """Why a requirement passed: the judging observation, what it compared, and the request it was made on."""
    evidence = requirement.get("pass_evidence")
    if requirement["verdict"] != "pass" or not evidence:
        return ""
    records = f" <span class=muted>({e(plural(evidence['records'], 'record'))} compared)</span>"
    return (
        f'<div class="pass-evidence"><p>Passed on <span class=muted>[{e(evidence["check"])}]</span> '
        f"{e(evidence['message'])}{records if evidence.get('records') is not None else ''}</p>"
        + (_evidence(evidence["request"]) if evidence.get("request") else "")
        + "</div>"
    )


def _requirement(requirement: Mapping[str, Any]) -> str:
    verdict = requirement["verdict"]
    source = requirement["source"]
    rows = [
        f"<blockquote>{e(requirement['quote'])}</blockquote>",
        f"<p>Source: {_link(source.get('url'), source['title'])}</p>",
    ]
    if requirement.get("rests_on"):
        # One line per demand: what the checks demand and the vendor's words it rests on.
        rows.append(
            "<ul class=rests-on>"
            + "".join(
                f"<li>{e(item['demand'])} &larr; <q>{e(item['words'])}</q>"
                + (
                    f" <span class=muted>[{e(item['document'])}]</span>"
                    if item["document"] != source["document"]
                    else ""
                )
                + "</li>"
                for item in requirement["rests_on"]
            )
            + "</ul>"
        )
    if requirement.get("note"):
        rows.append(f"<p class=note>Note: {e(requirement['note'])}</p>")
    rows.append(
        f"<p class=muted>Checks cited: {e(', '.join(requirement['checks_cited']) or '-')}; "
        f"run: {e(', '.join(requirement['checks_run']) or '-')}; examples judged: {e(requirement['examples'])}"
        f"; failures seen: {e(requirement['failure_count'])}</p>"
    )
    waiver = requirement.get("waiver")
    if waiver:
        rows.append(
            f'<p class="waiver">Waiver {_badge(waiver["status"])} {e(waiver["ticket"])} until {e(waiver["expires"])}:'
            f" {e(waiver['reason'])}</p>"
        )
    if requirement.get("cause"):
        rows.append(f"<p class=cause>Not judged; cause: <strong>{e(requirement['cause'])}</strong></p>")
    if requirement["reasons"]:
        rows.append("<ul class=reasons>" + "".join(f"<li>{e(text)}</li>" for text in requirement["reasons"]) + "</ul>")
    rows.append(_pass_evidence(requirement))
    rows.append(_failures(requirement))
    return (
        f'<div class="req" id="{e(anchor(requirement))}" data-verdict="{e(verdict)}"><details>'
        f'<summary><span class="rid">{e(requirement["id"])}</span><span class="level">{e(requirement["level"])}</span>'
        f"{_badge(verdict, verdict_label(requirement))}"
        f"<span class=title>{escaped_line(requirement['title'])}</span></summary>"
        f'<div class="detail">{"".join(rows)}</div></details></div>'
    )


def _matrix(report: Mapping[str, Any]) -> str:
    sections = []
    for api in report["apis"]:
        groups = []
        for family, items in families(of_api(report, api["api"])):
            tally = counts(items)
            summary = ", ".join(f"{tally[name]} {name}" for name in VERDICTS if tally[name])
            groups.append(
                f'<section class="family" data-family="{e(family)}"><h3>{e(family)} '
                f"<span class=muted>({e(summary)})</span></h3>{''.join(_requirement(item) for item in items)}</section>"
            )
        sections.append(
            f'<section class="api" id="api-{e(api["api"])}"><h2>{e(api["api"])}: {escaped_line(api["title"])}</h2>'
            f"{''.join(groups)}</section>"
        )
    return f'<section id="matrix"><h2>Requirements</h2>{_filters(report)}{"".join(sections)}</section>'


STYLE = """
:root{--fg:#1d232a;--muted:#66707a;--line:#d9dee3;--bg:#fff;--alt:#f5f7f9}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);
 margin:0 auto;max-width:1200px;padding:16px 24px}
h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:24px 0 8px}h3{font-size:15px;margin:16px 0 6px}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:var(--alt);border:1px solid var(--line);border-radius:4px;padding:6px 8px;margin:4px 0;
 white-space:pre-wrap;word-break:break-all}
.muted{color:var(--muted)}.headline{font-size:15px;font-weight:600}
table{border-collapse:collapse}th,td{text-align:left;vertical-align:top;padding:4px 8px}
table.run th{white-space:nowrap;color:var(--muted);font-weight:500}
table.grid{width:100%}table.grid th,table.grid td{border-bottom:1px solid var(--line)}.num{text-align:right}
.untestable{color:#a40000}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;line-height:18px;
 white-space:nowrap;background:#e4e7eb;color:#333}
.v-pass{background:#dcf5e3;color:#14632c}.v-fail{background:#fde0e0;color:#9b1111}
.v-warn{background:#fff1cc;color:#7a5300}.v-waived,.v-applied{background:#e3e8ff;color:#2a3f9e}
.v-inconclusive{background:#efe3fb;color:#5b2a86}.v-not-exercised{background:#eceff1;color:#4c5660}
.v-untestable,.v-error,.v-expired{background:#fde0e0;color:#9b1111}.v-stale{background:#fff1cc;color:#7a5300}
.v-incomplete,.v-interrupted{background:#ffe3c2;color:#7a3b00}.v-partial{background:#fff1cc;color:#7a5300}
.pass-evidence{margin:8px 0;padding:6px 8px;background:#f4fbf6;border:1px solid #cfe9d7;border-radius:4px}
#findings ol{padding-left:20px}#findings li{margin:8px 0}.message{margin:2px 0}
fieldset{border:1px solid var(--line);border-radius:6px;margin:8px 0 12px}fieldset label{margin-right:12px}
fieldset button{margin-left:4px}
.req{border:1px solid var(--line);border-radius:4px;margin:3px 0}
.req summary{cursor:pointer;padding:4px 8px;display:flex;gap:10px;align-items:center}
.req[data-verdict=fail]{border-left:4px solid #c62828}.req[data-verdict=warn]{border-left:4px solid #e0a800}
.req[data-verdict=waived]{border-left:4px solid #3f51b5}
.rid{font-family:ui-monospace,Menlo,Consolas,monospace;font-weight:600;min-width:230px}
.level{color:var(--muted);min-width:52px;font-size:12px}
.detail{padding:4px 12px 10px;border-top:1px solid var(--line)}
blockquote{margin:6px 0;padding:2px 10px;border-left:3px solid var(--line);color:#38414a;font-style:italic}
.failure{margin:8px 0;padding:6px 8px;background:#fff8f8;border:1px solid #f3d4d4;border-radius:4px}
.evidence{margin:6px 0 6px 8px}.headers{margin:2px 0;padding-left:18px}
.curl-line{display:flex;gap:6px;align-items:flex-start}.curl-line pre{flex:1}
.copy{font-size:12px}
figure{margin:8px 0 16px;overflow-x:auto}svg.chart{display:block;max-width:none}
figcaption{color:var(--muted);font-size:12px}details.numbers summary{cursor:pointer;color:var(--muted);font-size:12px}
[hidden]{display:none!important}
"""

SCRIPT = """
(function () {
  var boxes = Array.prototype.slice.call(document.querySelectorAll('#filters input[name=verdict]'));
  var findingVerdicts = ['fail', 'warn', 'waived'];
  function selected() {
    return boxes.filter(function (box) { return box.checked; }).map(function (box) { return box.value; });
  }
  function apply(remember) {
    var on = selected();
    var shown = 0;
    document.querySelectorAll('.req').forEach(function (row) {
      row.hidden = on.indexOf(row.getAttribute('data-verdict')) < 0;
      if (!row.hidden) { shown += 1; }
    });
    document.querySelectorAll('.family, .api').forEach(function (group) {
      group.hidden = !group.querySelector('.req:not([hidden])');
    });
    document.getElementById('shown').textContent = String(shown);
    if (remember) {
      var hash = on.length === boxes.length ? '' : '#only=' + on.join(',');
      try { history.replaceState(null, '', location.pathname + location.search + hash); } catch (err) { }
    }
  }
  function choose(verdicts) {
    boxes.forEach(function (box) { box.checked = verdicts.indexOf(box.value) >= 0; });
    apply(true);
  }
  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (id.indexOf('req-') !== 0) { return; }
    var row = document.getElementById(id);
    if (!row) { return; }
    boxes.forEach(function (box) { if (box.value === row.getAttribute('data-verdict')) { box.checked = true; } });
    apply(false);
    row.querySelector('details').open = true;
    row.scrollIntoView();
  }
  var only = /^#only=([a-z,-]*)$/.exec(location.hash);
  if (only) { boxes.forEach(function (box) { box.checked = only[1].split(',').indexOf(box.value) >= 0; }); }
  boxes.forEach(function (box) { box.addEventListener('change', function () { apply(true); }); });
  document.querySelectorAll('#filters button[data-preset]').forEach(function (button) {
    button.addEventListener('click', function () {
      choose(button.getAttribute('data-preset') === 'all' ? boxes.map(function (box) { return box.value; })
                                                          : findingVerdicts);
    });
  });
  document.getElementById('filters').hidden = false;
  apply(false);
  window.addEventListener('hashchange', reveal);
  reveal();
  if (navigator.clipboard) {
    document.querySelectorAll('button.copy').forEach(function (button) {
      button.hidden = false;
      button.addEventListener('click', function () {
        navigator.clipboard.writeText(button.parentNode.querySelector('pre').textContent);
      });
    });
  }
})();
"""


def _join(parts: Iterable[str]) -> str:
    return "\n".join(part for part in parts if part)


def render_html(report: Mapping[str, Any]) -> str:
    """The report as one self-contained HTML page."""
    apis = ", ".join(api["api"] for api in report["apis"])
    return _join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{e(CSP)}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="generator" content="apiconform">',
            f"<title>apiconform {e(report['verdict'].upper())}: {e(apis)}</title>",
            f"<style>{STYLE}</style></head><body>",
            _header(report),
            _api_table(report),
            _verdict_charts(report),
            _timelines(report),
            _findings(report),
            _unjudged(report),
            _waivers(report),
            _matrix(report),
            f"<script>{SCRIPT}</script>",
            "</body></html>",
        ]
    )
