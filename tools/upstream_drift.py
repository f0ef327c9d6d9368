"""Compare the vendored excerpts of an upstream file with a newer copy of that file (run by hand).

A vendored excerpt (specs/*/sources/*.txt) copies sections of an upstream file byte for byte, each after
a line `===== <file> lines A-B: <label>`. Given that file as it is upstream now, this says for each
section whether its lines are still there word for word (and where), or shows how the upstream block
that starts with the section's first line differs. It is not part of the suite (not in the wheel, not
run by `make test`); its findings are recorded in specs/DECISIONS.md.

    git -C CLONE show HEAD:api.yaml > /tmp/api.yaml
    python tools/upstream_drift.py /tmp/api.yaml specs/bitgo-oes/sources/bitgo-api-yaml-partner-allocations.txt ...

Exit status: 0 when every section is unchanged, 1 when one differs or is gone, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

SECTION = re.compile(r"^===== (?P<file>\S+) lines (?P<first>\d+)-(?P<last>\d+): (?P<label>.*)$")


@dataclass(frozen=True)
class Section:
    label: str
    first_line: int
    lines: tuple[str, ...]


def sections(excerpt: str) -> list[Section]:
    """The sections of a vendored excerpt: each `=====` line and the lines up to the next one (the blank
    line that separates two sections is the excerpt's, not the upstream file's)."""
    found: list[Section] = []
    label, first, lines = None, 0, []
    for line in [*excerpt.splitlines(), "===== end lines 0-0: end"]:
        match = SECTION.match(line)
        if match is None:
            lines.append(line)
            continue
        if label is not None:
            while lines and not lines[-1].strip():
                lines.pop()
            found.append(Section(label, first, tuple(lines)))
        label, first, lines = match["label"], int(match["first"]), []
    return found


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def block_at(upstream: list[str], first: str, length: int) -> tuple[int, list[str]] | None:
    """The upstream block that starts with the line `first`: that line and what is indented deeper below it
    (at least `length` lines, so that a section that ends inside its block is compared with as much)."""
    try:
        start = upstream.index(first)
    except ValueError:
        return None
    end = start + 1
    while end < len(upstream) and (not upstream[end].strip() or _indent(upstream[end]) > _indent(first)):
        end += 1
    end = max(end, min(start + length, len(upstream)))
    return start, upstream[start:end]


def find_lines(upstream: list[str], lines: tuple[str, ...]) -> int | None:
    """The index where `lines` stand in `upstream` one after the other, or None."""
    if not lines:
        return None
    start = 0
    while True:
        try:
            start = upstream.index(lines[0], start)
        except ValueError:
            return None
        if tuple(upstream[start : start + len(lines)]) == lines:
            return start
        start += 1


def compare(upstream: list[str], section: Section) -> tuple[bool, str]:
    """(unchanged, what to say) for one section."""
    at = find_lines(upstream, section.lines)
    if at is not None:
        moved = "" if at + 1 == section.first_line else f" (was line {section.first_line})"
        return True, f"unchanged, line {at + 1}{moved}"
    block = block_at(upstream, section.lines[0], len(section.lines)) if section.lines else None
    if block is None:
        return False, "gone: its first line is no longer in the file"
    start, lines = block
    diff = difflib.unified_diff(
        list(section.lines), lines, "vendored", f"upstream (line {start + 1})", lineterm="", n=1
    )
    return False, "changed:\n" + "\n".join(f"    {line}" for line in diff)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("upstream", type=Path, help="the upstream file as it is now (e.g. api.yaml)")
    parser.add_argument("excerpts", type=Path, nargs="+", help="vendored excerpts of that file")
    args = parser.parse_args(argv)
    try:
        upstream = args.upstream.read_text(encoding="utf-8").splitlines()
        excerpts = {path: args.excerpts and path.read_text(encoding="utf-8") for path in args.excerpts}
    except OSError as exc:
        print(f"upstream_drift: {exc}", file=sys.stderr)
        return 2
    drifted = 0
    for path, text in excerpts.items():
        print(path)
        for section in sections(text):
            unchanged, said = compare(upstream, section)
            drifted += not unchanged
            print(f"  {section.label}: {said}")
    print(f"{drifted} section(s) differ" if drifted else "every section is unchanged")
    return 1 if drifted else 0


if __name__ == "__main__":
    sys.exit(main())
