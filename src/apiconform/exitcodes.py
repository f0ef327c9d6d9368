"""The exit codes of every apiconform command, in one table (the README's "Exit codes" section)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    PASS = 0  # conformant (waived failures included)
    NONCONFORMANT = 1  # a MUST failed, unwaived (`apiconform diff`: a regression)
    USAGE = 2  # bad input or configuration: one line on standard error
    UNTESTABLE = 3  # the target could not be tested (unreachable, rejects every request, not the API)
    SUITE_ERROR = 4  # the suite itself failed: a crash in a check, a report it could not write
    SIGHUP = 129  # a closed terminal or SSH session
    SIGINT = 130  # interrupted: 128 + the signal, as a shell reports it
    CLOSED_STDOUT = 141  # 128 + SIGPIPE: the reader of standard output went away
    SIGTERM = 143


# What each code means, for `apiconform --help` (the comments above say the same in the code's words).
MEANINGS = {
    ExitCode.PASS: "conformant (waived failures included)",
    ExitCode.NONCONFORMANT: "nonconformant: a MUST failed, unwaived (diff: a regression)",
    ExitCode.USAGE: "usage or configuration error, said in one line",
    ExitCode.UNTESTABLE: "the target could not be tested, or the run is incomplete",
    ExitCode.SUITE_ERROR: "the suite itself failed",
    ExitCode.SIGHUP: "interrupted: the terminal closed",
    ExitCode.SIGINT: "interrupted (Ctrl-C)",
    ExitCode.CLOSED_STDOUT: "the reader of standard output went away",
    ExitCode.SIGTERM: "interrupted: terminated",
}
