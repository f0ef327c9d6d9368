"""Writing to the terminal's streams when they may be closed or captured.

A reader that went away (`apiconform run | head -3`) or a closed standard error is no reason for a
traceback; pytest's output capture must not swallow the live progress lines. (What is written is
redacted and made printable by engine/boundary.py, not here.)
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


def say(stream: TextIO, line: str) -> None:
    """Write one diagnostic line; a closed standard error is no reason for a traceback."""
    try:
        stream.write(line)
        stream.flush()
    except (BrokenPipeError, ValueError):
        pass


def write_result(out: TextIO, text: str) -> None:
    """Write the run's result to `out`; a reader that went away (`| head -3`) only means nobody reads it."""
    try:
        out.write(text)
        out.flush()
    except BrokenPipeError:
        silence(out)


def silence(out: TextIO) -> None:
    """Point a stream whose reader has gone at /dev/null, so that what is still buffered for it (flushed
    when the interpreter exits) raises no second BrokenPipeError traceback."""
    try:
        descriptor = out.fileno()
    except (AttributeError, OSError, ValueError):  # no descriptor (a StringIO), or already closed
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    try:
        os.dup2(devnull, descriptor)
    except OSError:
        pass
    finally:
        os.close(devnull)


@contextmanager
def beside_capture(stream: TextIO) -> Iterator[TextIO]:
    """A second handle on the terminal behind `stream`, which pytest's output capture does not redirect.

    pytest points file descriptors 1 and 2 at temporary files while a test runs; progress drawn during
    the long property tests would vanish into them. A duplicate of the descriptor keeps the terminal.
    """
    try:
        descriptor = os.dup(stream.fileno())
    except (AttributeError, OSError, io.UnsupportedOperation):
        yield stream
        return
    duplicate = os.fdopen(descriptor, "w", encoding=getattr(stream, "encoding", None) or "utf-8", errors="replace")
    try:
        yield duplicate
    finally:
        duplicate.close()
