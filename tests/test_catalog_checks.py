"""The catalogs and the engine agree: every cited check exists, and every check verifies some requirement."""

from __future__ import annotations

import pytest

from apiconform import contract
from apiconform.engine.checks import BUILTIN_CHECKS, CHECKS

ENGINE_CHECKS = {*CHECKS, *BUILTIN_CHECKS}


@pytest.mark.parametrize("api", contract.api_names())
def test_every_cited_check_exists(api):
    cited = {check for requirement in contract.load(api).requirements for check in requirement.checks}
    assert cited - ENGINE_CHECKS == set()


def test_every_check_verifies_a_requirement():
    cited = {
        check for loaded in contract.load_all() for requirement in loaded.requirements for check in requirement.checks
    }
    assert ENGINE_CHECKS - cited == set()


def test_check_names_do_not_collide():
    assert not set(CHECKS) & set(BUILTIN_CHECKS)
