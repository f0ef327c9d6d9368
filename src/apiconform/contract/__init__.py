"""The contracts apiconform verifies: an OpenAPI spec, its `x-apiconform` semantics and its requirement catalog.

Everything the engine and the reference server know about an API comes from here; neither holds
API-specific rules of its own. Loading validates both files against the schemas in `specs/schemas/`
and cross-checks them, so a broken contract is reported as a `ContractError`, not met mid-run.

This module is the package's one public face: the rest of apiconform uses what `__all__` names, as
`contract.X`. Its rooms: `model` (the typed semantics and catalog, the pagers, `from_raw`), `openapi`
(`Contract` and its OpenAPI helpers, the reference checks) and `loading` (finding, reading, validating
and cross-checking specs, releases, quotes).
"""

from apiconform.contract.loading import api_names, load, load_all, load_spec, path_parameter_options, specs_dir
from apiconform.contract.model import (
    Alternate,
    Compare,
    ContractError,
    Count,
    Counts,
    CursorPaging,
    Filter,
    NextPage,
    OffsetLimitPaging,
    Ordering,
    OrderKey,
    PageNumberPaging,
    Paging,
    QueryExpectation,
    RateLimit,
    RecordRule,
    Representations,
    Requirement,
    Semantics,
    UnknownPathParameter,
    link_target,
    links,
    url_query,
)
from apiconform.contract.openapi import Contract, check_references, reference_target, unescaped

__all__ = [
    "Alternate",
    "Compare",
    "Contract",
    "ContractError",
    "Count",
    "Counts",
    "CursorPaging",
    "Filter",
    "NextPage",
    "OffsetLimitPaging",
    "OrderKey",
    "Ordering",
    "PageNumberPaging",
    "Paging",
    "QueryExpectation",
    "RateLimit",
    "RecordRule",
    "Representations",
    "Requirement",
    "Semantics",
    "UnknownPathParameter",
    "api_names",
    "check_references",
    "load",
    "load_all",
    "link_target",
    "links",
    "load_spec",
    "path_parameter_options",
    "reference_target",
    "specs_dir",
    "unescaped",
    "url_query",
]
