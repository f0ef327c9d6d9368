"""report.md: a compact summary for a pull-request comment or `$GITHUB_STEP_SUMMARY`.

A banner with the run's verdict and its meaning, and why a run that was not judged in full ended as it
did (interrupted, could not be tested, the suite's own failure, what was left unjudged); counts per
verdict and API; then the failing requirements first with one line of evidence (the message and the curl
line), then warnings, waivers, the MUST requirements left unjudged, and what could not be exercised.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from apiconform.reporting.document import (
    VERDICTS,
    counts,
    findings,
    headline,
    headline_evidence,
    insecure,
    of_api,
    one_line,
    plural,
    printable,
    printable_line,
    reason,
    release_label,
    replay,
    safety_notes,
    seed_label,
    verdict_reasons,
)

# GitHub caps a step summary at 1 MiB; long lists are cut well before that.
MAX_ROWS = 60
_ICONS = {"fail": "❌", "warn": "⚠️", "waived": "🔕", "pass": "✅", "inconclusive": "❔", "not-exercised": "➖"}


# What GitHub would turn into a link or a notification: a URL, a `www.` address, an @mention, an e-mail.
_AUTOLINKED = re.compile(r"(?:[a-zA-Z][a-zA-Z0-9+.-]*://|www\.)\S+|\S*@\S+")


def text(value: Any) -> str:
    """Plain text made inert: one printable line (`printable_line`: no line break adds Markdown structure),
    no HTML, no Markdown emphasis, links or table breaks, and no autolink or @mention (those go into code
    spans, which GitHub shows as they are)."""
    pieces = []
    position = 0
    plain = printable_line(value)
    for match in _AUTOLINKED.finditer(plain):
        pieces += [_escaped(plain[position : match.start()]), code(match.group())]
        position = match.end()
    pieces.append(_escaped(plain[position:]))
    return "".join(pieces)


def _escaped(plain: str) -> str:
    escaped = plain.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_\[\]|#~!])", r"\\\1", escaped)


def code(value: Any) -> str:
    """An inline code span that holds `value` whatever backticks it contains (one printable line)."""
    content = printable_line(value)
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if content.startswith("`") or content.endswith("`") else ""
    return f"{fence}{pad}{content}{pad}{fence}"


def _counts_table(report: Mapping[str, Any]) -> list[str]:
    header = ["API", "verdict", *VERDICTS, "requests"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for api in report["apis"]:
        tally = counts(of_api(report, api["api"]))
        cells = [text(api["api"]), f"**{text(api['verdict'])}**", *(str(tally[name]) for name in VERDICTS)]
        lines.append("| " + " | ".join([*cells, str(api["requests"])]) + " |")
    return lines


def _finding(requirement: Mapping[str, Any]) -> list[str]:
    verdict = requirement["verdict"]
    label = verdict
    waiver = requirement.get("waiver")
    if verdict == "waived" and waiver:
        label = (
            f"waived {requirement.get('original_verdict', 'fail')} until {waiver['expires']} ({text(waiver['ticket'])})"
        )
    elif waiver and waiver.get("status") == "expired":
        label = f"{verdict}, waiver {text(waiver['ticket'])} expired {waiver['expires']}"
    message, exchanges = headline_evidence(requirement)
    lines = [
        f"- {_ICONS.get(verdict, '')} **{text(requirement['id'])}** ({requirement['level']}, {label}): "
        f"{text(requirement['title'])}"
    ]
    if message:
        lines.append(f"  {code(one_line(message, 240))}")
    for evidence in exchanges:
        lines.append(f"  {code(evidence['curl'])} → {evidence['status']}")
    return lines


def render_markdown(report: Mapping[str, Any]) -> str:
    """The compact Markdown summary of a report."""
    lines = [f"## apiconform: {text(headline(report))}", ""]
    reasons = verdict_reasons(report)
    if reasons:
        lines += [f"> {text(one_line(line, 400))}  " for line in reasons]
        lines[-1] = lines[-1].rstrip()
        lines.append("")
    if insecure(report):
        lines += ["> ⚠️ **TLS certificates were NOT verified (--insecure).**", ""]
    lines += _counts_table(report)
    lines.append("")
    judged = [(api["api"], release_label(api)) for api in report["apis"] if release_label(api)]
    if judged:
        lines += [f"Judged as {text(name)} {text(label)}.  " for name, label in judged]
        lines[-1] = lines[-1].rstrip()
        lines.append("")
    notes = safety_notes(report)
    if notes:
        lines += ["### Run safety", ""]
        lines += [f"- {text(one_line(note, 400))}" for note in notes]
        lines.append("")
    found = findings(report)
    sections = (
        ("Failing requirements", [item for item in found if item["verdict"] == "fail"]),
        ("Warnings (SHOULD)", [item for item in found if item["verdict"] == "warn"]),
        ("Waived", [item for item in found if item["verdict"] == "waived"]),
    )
    for title, items in sections:
        if not items:
            continue
        lines.append(f"### {title} ({len(items)})")
        lines.append("")
        for item in items[:MAX_ROWS]:
            lines += _finding(item)
        if len(items) > MAX_ROWS:
            lines.append(f"- … and {len(items) - MAX_ROWS} more (see report.html)")
        lines.append("")
    notable_waivers = [waiver for waiver in report["waivers"] if waiver["status"] != "applied"]
    if notable_waivers:
        lines.append(f"### Waivers to look at ({len(notable_waivers)})")
        lines.append("")
        for waiver in notable_waivers:
            lines.append(
                f"- **{waiver['status']}** {text(waiver['requirement'])} ({text(waiver['ticket'])}): "
                f"{text(waiver['detail'])}"
            )
        lines.append("")
    holding_back = [(api["api"], item) for api in report["apis"] for item in api.get("unjudged") or ()]
    if holding_back:
        lines.append(f"### MUST requirements not judged ({len(holding_back)})")
        lines.append("")
        for api_name, item in holding_back[:MAX_ROWS]:
            lines.append(
                f"- **{text(item['id'])}** ({text(api_name)}, cause: {text(item['cause'])}): "
                f"{text(one_line(item['reason'], 240))}"
            )
        if len(holding_back) > MAX_ROWS:
            lines.append(f"- … and {len(holding_back) - MAX_ROWS} more (see report.html)")
        lines.append("")
    unjudged = [item for item in report["requirements"] if item["verdict"] in ("inconclusive", "not-exercised")]
    if unjudged:
        lines.append(f"<details><summary>Not exercised or inconclusive ({len(unjudged)})</summary>")
        lines.append("")
        for item in unjudged[:MAX_ROWS]:
            label = item["verdict"] + (f", cause: {text(item['cause'])}" if item.get("cause") else "")
            lines.append(f"- **{text(item['id'])}** ({label}): {text(one_line(reason(item), 240))}")
        if len(unjudged) > MAX_ROWS:
            lines.append(f"- … and {len(unjudged) - MAX_ROWS} more")
        lines.append("")
        lines.append("</details>")
        lines.append("")
    rebuild = replay(report)
    if rebuild is not None:
        lines.append(f"To replay the curl lines, start the same target: {code(rebuild['command'])}")
        lines.append(f"({text(rebuild['token'])})")
        lines.append("")
    specs = ", ".join(f"{text(api['spec']['file'])} `{api['spec']['sha256'][:12]}`" for api in report["apis"])
    lines.append(
        f"<sub>apiconform {text(report['tool']['version'])}, schemathesis {text(report['tool']['schemathesis'])}; "
        f"seed {seed_label(report)}; {plural(report['requests'], 'request')}; {text(report['started'])} "
        f"({report['duration_seconds']:.0f} s); specs {specs}</sub>"
    )
    # Every vendor value went through `text` or `code`; this holds for whatever did not (a CI log may cat it).
    return printable("\n".join(lines) + "\n")
