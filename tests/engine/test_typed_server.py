"""The typed-list test server filters by type when correct, and each of its faults misbehaves as FAULTS
says (the same question asked of the correct server and of one with only that fault)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from apiconform import contract
from tests.engine.typed_server import FAULTS, MAX_LIMIT, SPEC, TypedServer, things

Records = list[dict[str, Any]]


def get(base_url: str, query: dict[str, str] | str | None = None) -> requests.Response:
    return requests.get(base_url + "/things", params=query, timeout=10)


def records(base_url: str, query: dict[str, str] | str | None = None) -> Records:
    response = get(base_url, query)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    body: Records = response.json()
    return body


def every(base_url: str, query: dict[str, str] | None = None) -> Records:
    return records(base_url, {**(query or {}), "limit": str(MAX_LIMIT)})


def test_the_spec_folder_loads_and_names_the_served_parameters() -> None:
    loaded = contract.load_spec(SPEC)
    assert loaded.api == "typed-list"
    assert set(loaded.semantics.filters) == {"id", "active", "score", "name"}


def test_paging_is_offset_limit_in_id_order(typed_server: str) -> None:
    everything = every(typed_server)
    assert [r["id"] for r in everything] == list(range(1, 41)) and everything == things()
    assert records(typed_server) == everything[:10]  # limit defaults to 10
    assert records(typed_server, {"offset": "7", "limit": "5"}) == everything[7:12]
    assert records(typed_server, {"offset": "38", "limit": "5"}) == everything[38:]
    assert records(typed_server, {"offset": "40"}) == records(typed_server, {"limit": "0"}) == []
    assert records(typed_server, {"limit": "1000"}) == everything  # clamped to 100
    for query in ({"limit": "ten"}, {"offset": "-1"}, {"offset": "1.5"}, "limit=1&limit=2"):
        response = get(typed_server, query)
        assert response.status_code == 400 and isinstance(response.json()["error"], str), query


def test_filters_compare_values_by_type(typed_server: str) -> None:
    everything = every(typed_server)
    assert records(typed_server, {"id": "5"}) == [everything[4]]
    assert records(typed_server, {"id": "1"}) == [everything[0]]
    assert every(typed_server, {"active": "true"}) == [r for r in everything if r["active"] is True]
    assert every(typed_server, {"active": "false"}) == [r for r in everything if r["active"] is False] != []
    fives = [r for r in everything if r["score"] == 5]
    assert fives and all(isinstance(r["score"], float) for r in fives)
    assert every(typed_server, {"score": "5"}) == every(typed_server, {"score": "5.0"}) == fives
    assert every(typed_server, {"score": "2.5"}) == [r for r in everything if r["score"] == 2.5] != []
    assert every(typed_server, {"name": "gamma"}) == [r for r in everything if r["name"] == "gamma"] != []
    assert every(typed_server, {"name": "Gamma"}) == []
    both = {"active": "false", "score": "5"}
    assert every(typed_server, both) == [r for r in fives if r["active"] is False] != []
    for query in ({"id": "ten"}, {"id": "1.0"}, {"active": "maybe"}, {"active": "True"}, {"score": "high"}):
        assert get(typed_server, query).status_code == 400, query
    assert records(typed_server, {"id": "41"}) == records(typed_server, {"unknown": "x", "name": ""}) == []


# What each fault does to the same questions the correct server answers right.
def _id_as_text_prefix(ok: str, bad: str) -> None:
    everything = every(ok)
    assert records(ok, {"id": "1"}) == [everything[0]]
    assert [r["id"] for r in every(bad, {"id": "1"})] == [1, *range(10, 20)]
    assert records(bad, {"id": "25"}) == records(ok, {"id": "25"})


def _active_ignored(ok: str, bad: str) -> None:
    assert every(ok, {"active": "false"}) != every(ok)
    assert every(bad, {"active": "false"}) == every(bad, {"active": "true"}) == every(ok)
    assert get(bad, {"active": "maybe"}).status_code == 400


def _score_as_text(ok: str, bad: str) -> None:
    assert every(ok, {"score": "5"}) != []
    assert every(bad, {"score": "5"}) == []
    assert every(bad, {"score": "5.0"}) == every(ok, {"score": "5"})
    assert every(bad, {"score": "2.5"}) == every(ok, {"score": "2.5"})


PROBES: dict[str, Callable[[str, str], None]] = {
    "id-as-text-prefix": _id_as_text_prefix,
    "active-ignored": _active_ignored,
    "score-as-text": _score_as_text,
}


def test_every_fault_has_a_probe() -> None:
    assert set(PROBES) == set(FAULTS)


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_changes_behaviour(make_typed_server: Callable[..., TypedServer], fault: str) -> None:
    ok, bad = make_typed_server().base_url, make_typed_server([fault]).base_url
    PROBES[fault](ok, bad)


def test_unknown_faults_are_refused() -> None:
    with pytest.raises(ValueError, match="id-as-text"):
        TypedServer(["id-as-text"])
