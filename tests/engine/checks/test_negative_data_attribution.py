"""Which requirement a value outside a parameter's schema is charged to (issue 23, item 9).

Schemathesis' `negative_data_rejection` fails a 2xx to a value outside a parameter's schema. The
failure belongs to the requirement whose `invalid-inputs` example names that parameter; a parameter
no requirement demands rejected charges nothing (DECISIONS.md D-GEN-55). In-process: no HTTP."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from apiconform import contract
from apiconform.engine.checks.validation import builtin_requirements


def negated(api: str, parameter: str) -> list[str]:
    """The requirements a failed negative case of `parameter` is charged to."""
    loaded = contract.load(api)
    run: Any = SimpleNamespace(
        contract=loaded,
        semantics=loaded.semantics,
        citing=lambda check: [r.id for r in loaded.requirements if check in r.checks],
    )
    case: Any = SimpleNamespace(meta=SimpleNamespace(phase=SimpleNamespace(data=SimpleNamespace(parameter=parameter))))
    response: Any = SimpleNamespace(status_code=200)
    return builtin_requirements(run, "negative_data_rejection", case, response, object())


@pytest.mark.parametrize(
    ("api", "parameter", "charged"),
    [
        # An empty currencies item breaks the items' `minLength: 1` of a list BitGo writes with commas.
        ("bitgo-oes", "currencies", ["OES-FILTER-CURRENCIES-EMPTY-ITEM"]),
        ("bitgo-oes", "pageNumber", ["OES-PAGE-INVALID"]),
        ("bitgo-oes", "types", ["OES-FILTER-ENUM-INVALID"]),
        # The connections route does not say how a list is written: under its formal serialization
        # (repeated keys) `a,,b` is one non-empty item, so no sentence demands its rejection.
        ("bitgo-connections", "partnersClientIds", []),
        ("bitgo-connections", "partnersConnectionIds", []),
        ("bitgo-connections", "active", ["CONN-FILTER-ACTIVE-INVALID"]),
        ("bitgo-connections", "pageSize", ["CONN-PAGE-INVALID"]),
    ],
)
def test_negative_data_is_charged_to_the_requirement_of_its_parameter(api, parameter, charged):
    assert negated(api, parameter) == charged
