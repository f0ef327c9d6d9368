"""engine/ast_guard.py: a parse that starts inside another (here from a finalizer the garbage collector
runs in the middle of it, as pytest's unraisable-exception hook does) no longer breaks the outer one."""

from __future__ import annotations

import ast
import gc
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from apiconform.engine import ast_guard

SOURCE = "\n".join(f"x{index} = [{index}, ({index}, {index}), {{'key': {index}}}]" for index in range(300))


class _ParsesWhenCollected:
    """Freed only by the garbage collector (it refers to itself); parses when finalized."""

    def __init__(self) -> None:
        self.itself = self

    def __del__(self) -> None:
        ast.parse("nested = (1, 2)")


def _unguarded(parse: Callable[..., Any]) -> Callable[..., Any]:
    while getattr(parse, "apiconform_ast_guard", False):
        parse = parse.__wrapped__  # type: ignore[attr-defined]
    return parse


@pytest.fixture
def collecting_often() -> Iterator[None]:
    thresholds = gc.get_threshold()
    gc.set_threshold(50)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.collect()


def _parse_with_finalizers_pending(parse: Callable[..., Any]) -> list[str]:
    """Parse SOURCE 10 times, each time with finalizers that parse waiting for the next collection."""
    errors = []
    for _ in range(10):
        for _ in range(60):
            _ParsesWhenCollected()
        try:
            parse(SOURCE)
        except SystemError as exc:
            errors.append(str(exc))
    return errors


@pytest.mark.skipif(not ast_guard.AFFECTED, reason="this CPython builds syntax trees with a depth counter per parse")
def test_without_the_guard_a_nested_parse_breaks_the_outer_one(collecting_often: None) -> None:
    """The failure the guard exists for, shown on this interpreter (so the next test can fail)."""
    errors = _parse_with_finalizers_pending(_unguarded(ast.parse))
    assert errors and "recursion depth mismatch" in errors[0]


def test_with_the_guard_every_parse_succeeds(collecting_often: None) -> None:
    assert _parse_with_finalizers_pending(ast_guard.serialised(_unguarded(ast.parse))) == []


def test_install_guards_ast_parse_where_needed_and_undoes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    original = _unguarded(ast.parse)
    monkeypatch.setattr(ast, "parse", original)
    uninstall = ast_guard.install()
    assert getattr(ast.parse, "apiconform_ast_guard", False) is ast_guard.AFFECTED
    assert ast.parse("x = 1").body[0].targets[0].id == "x"  # type: ignore[attr-defined]
    assert ast_guard.install()() is None  # installed once: a second install changes nothing
    uninstall()
    assert ast.parse is original
