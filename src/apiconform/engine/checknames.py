"""The names a catalog's `checks:` may cite, and the check that a loaded catalog cites only those.

The registry (`engine/checks`, with schemathesis' own checks in `checks/validation.py`) is the source of
truth, but importing it imports the engine's transport and runner (requests, schemathesis, hypothesis:
0.4 s); `apiconform catalog` checks a catalog's names without them, from this list, which
tests/engine/checks/test_check_listing.py keeps equal to the registry. The contract package cannot do it
at load: it imports nothing of the engine, so both doors that load a spec (`catalog`, and `run` through
`config.run_config`) call `refuse_unknown_checks` on what they loaded.
"""

from __future__ import annotations

from apiconform import contract

# apiconform's checks in registry order, then schemathesis' own (BUILTIN_CHECKS).
KNOWN_CHECKS = (
    "page_size_bound",
    "result_count_header",
    "total_count_on_first_page",
    "pages_tile_one_large_page",
    "oversize_pages_keep_their_position",
    "omitted_page_is_first_page",
    "default_page_size_is_prefix",
    "walk_ends_cleanly",
    "total_count_invariant",
    "error_envelope",
    "strict_json",
    "invalid_inputs_rejected",
    "tolerated_inputs_answered",
    "auth_enforced",
    "unknown_path_parameter_refused",
    "records_match_filters",
    "filters_select_matching_records",
    "comma_list_is_union",
    "repeated_list_is_union",
    "unknown_filter_value_matches_nothing",
    "case_variants_agree",
    "alternate_keys_find_the_same_records",
    "records_in_order",
    "sorted_by_each_key",
    "default_direction_is_asc",
    "default_order_holds",
    "order_is_stable",
    "projection_fields",
    "records_follow_rules",
    "projection_keeps_values",
    "representation_same_records",
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "unsupported_method",
)


def refuse_unknown_checks(loaded: contract.Contract) -> None:
    """Raise a one-line ContractError when a requirement of `loaded`'s catalog cites a check nobody registered.

    A misspelt name would otherwise be cited and never run: the requirement would rest on the checks that
    exist, or stay unjudged with no word of why."""
    catalog = loaded.spec_path.parent / str(loaded.openapi["x-apiconform"]["catalog"])
    for requirement in loaded.requirements:
        unknown = next((name for name in requirement.checks if name not in KNOWN_CHECKS), None)
        if unknown is not None:
            raise contract.ContractError(
                f"{catalog}: {requirement.id} cites an unknown check {unknown!r}; `apiconform checks` lists them"
            )
