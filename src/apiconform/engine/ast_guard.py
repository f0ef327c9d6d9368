"""One `ast.parse` at a time, on the CPython releases where two at once break each other.

CPython 3.11.0 to 3.11.7 and 3.12.0 to 3.12.1 count the depth of the syntax tree being built in one
counter per interpreter, which every parse resets when it starts (python/cpython#106905). A parse that
starts while another is under way, in another thread or in a finalizer the garbage collector runs in
the middle of it, leaves the first one's count unbalanced, and it raises `SystemError: AST constructor
recursion depth mismatch`. Both happen here. 3.11's tracebacks parse the source line to place their
carets, so the embedded server's thread parses when it formats one, while the run's own thread may be
parsing (Hypothesis reads sources for constants, pytest shows a failing statement); and under pytest
(the project's tests, the pytest door) pytest's unraisable-exception hook formats a traceback inside a
finalizer. Raised inside pytest's report of a failed test, the SystemError ends the session with an
INTERNALERROR. Fixed in 3.11.8 and 3.12.2 (python/cpython#113035); there, nothing is changed.
"""

from __future__ import annotations

import ast
import functools
import gc
import sys
import threading
from collections.abc import Callable
from typing import Any

AFFECTED = (3, 11) <= sys.version_info[:3] < (3, 11, 8) or (3, 12) <= sys.version_info[:3] < (3, 12, 2)

_LOCK = threading.RLock()


def serialised(parse: Callable[..., Any]) -> Callable[..., Any]:
    """`parse` run by one thread at a time, with the garbage collector (and so its finalizers) held off."""

    @functools.wraps(parse)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            collecting = gc.isenabled()
            gc.disable()
            try:
                return parse(*args, **kwargs)
            finally:
                if collecting:
                    gc.enable()

    guarded.apiconform_ast_guard = True  # type: ignore[attr-defined]
    return guarded


def install() -> Callable[[], None]:
    """Guard `ast.parse` where this interpreter needs it; returns what undoes it (nothing to undo elsewhere)."""
    if not AFFECTED or getattr(ast.parse, "apiconform_ast_guard", False):
        return lambda: None
    original = ast.parse
    ast.parse = serialised(original)

    def uninstall() -> None:
        ast.parse = original

    return uninstall
