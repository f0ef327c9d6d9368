"""The engine's checks, grouped by the requirement family they judge.

Each family module holds that family's per-response checks and its relations, and
registers them in `base.CHECKS` when imported; importing this package imports every family, in the
order the registry keeps (and a session runs the relations in). `validation.ReplyJudge` judges each
reply of a run's list operation with the per-response checks and schemathesis' own.
"""

from apiconform.engine.checks import paging, errors, access, filtering, ordering, representation  # noqa: I001
from apiconform.engine.checks.base import CHECKS, Check, RelationCheck, ResponseCheck, relations, response_checks
from apiconform.engine.checks.validation import BUILTIN_CHECK_DESCRIPTIONS, BUILTIN_CHECKS, BuiltinCheck, ReplyJudge

__all__ = [
    "BUILTIN_CHECKS",
    "BUILTIN_CHECK_DESCRIPTIONS",
    "BuiltinCheck",
    "CHECKS",
    "Check",
    "RelationCheck",
    "ResponseCheck",
    "ReplyJudge",
    "access",
    "errors",
    "filtering",
    "ordering",
    "paging",
    "relations",
    "representation",
    "response_checks",
]
