"""Bash's answer to a completion, as bash asks for one: for tests/test_completion.py and the installed wheel's
test (tests/test_packaging.py)."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path


def bash_completions(script: str, lines: Sequence[Sequence[str]], cwd: Path) -> list[set[str]]:
    """What bash's completion function answers for each command line (its last word the one completed)."""
    (cwd / "completion.bash").write_text(script, encoding="utf-8")
    calls = "".join(f"complete_line {shlex.join(line)}\n" for line in lines)
    driver = (
        "set -u\nsource ./completion.bash\n"
        'complete_line() { COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=(); _apiconform\n'
        "  (( ${#COMPREPLY[@]} )) && printf '%s\\n' \"${COMPREPLY[@]}\"; echo @@; }\n" + calls
    )
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", driver],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0 and not done.stderr, done
    answers = done.stdout.split("@@\n")
    assert answers[-1] == "", done.stdout
    return [set(answer.splitlines()) for answer in answers[:-1]]
