"""The catalogs and the engine agree: every cited check exists, and every check verifies some requirement."""

from __future__ import annotations

import pytest

from apiconform import contract
from apiconform.engine.response_checks import BUILTIN_CHECKS, RESPONSE_CHECKS
from apiconform.engine.scenarios import SCENARIO_CHECKS, load_all

load_all()
ENGINE_CHECKS = {*RESPONSE_CHECKS, *SCENARIO_CHECKS, *BUILTIN_CHECKS}


@pytest.mark.parametrize("api", contract.API_NAMES)
def test_every_cited_check_exists(api):
    cited = {check for requirement in contract.load(api).requirements for check in requirement.checks}
    assert cited - ENGINE_CHECKS == set()


def test_every_check_verifies_a_requirement():
    cited = {
        check for loaded in contract.load_all() for requirement in loaded.requirements for check in requirement.checks
    }
    assert ENGINE_CHECKS - cited == set()


def test_check_names_do_not_collide():
    assert not set(RESPONSE_CHECKS) & set(SCENARIO_CHECKS)
    assert not (set(RESPONSE_CHECKS) | set(SCENARIO_CHECKS)) & set(BUILTIN_CHECKS)
