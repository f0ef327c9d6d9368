"""`apiconform init`: a starting spec folder from the owner's OpenAPI document, which loads and catalogs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from apiconform import cli, contract

WIDGETS = {
    "openapi": "3.0.3",
    "info": {"title": "Acme Widgets", "version": "2"},
    "paths": {
        "/widgets": {
            "get": {
                "operationId": "listWidgets",
                "summary": "List widgets",
                "description": "Returns the widgets of the account. Widgets come in the same order on every "
                "request. Several filters are combined: a widget is returned only if it matches all of them.",
                "parameters": [
                    {
                        "name": "page",
                        "in": "query",
                        "description": "The page number. Without page the first page is answered.",
                        "schema": {"type": "integer", "minimum": 1},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "description": "A page holds at most limit widgets.",
                        "schema": {"type": "integer", "minimum": 1},
                    },
                    {"name": "sort", "in": "query", "schema": {"type": "string", "enum": ["name", "price"]}},
                    {"name": "order", "in": "query", "schema": {"type": "string", "enum": ["asc", "desc"]}},
                    {
                        "name": "color",
                        "in": "query",
                        "description": "Returns only the widgets of this color.",
                        "schema": {"type": "string"},
                    },
                    {"name": "price", "in": "query", "schema": {"type": "number"}},
                ],
                "responses": {
                    "200": {
                        "description": "A page of widgets.",
                        "content": {
                            "application/json": {
                                "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Widget"}}
                            }
                        },
                    },
                    "400": {"description": "A bad query."},
                },
            }
        }
    },
    "components": {
        "schemas": {
            "Widget": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "color": {"type": "string"},
                    "price": {"type": "number"},
                },
            }
        }
    },
}


def _document(tmp_path: Path, document: object, name: str = "widgets.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_init_writes_a_spec_that_loads_and_whose_catalog_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert cli.main(["init", str(_document(tmp_path, WIDGETS)), "--output", str(out)]) == 0
    spec = out / "acme-widgets.openapi.yaml"
    assert f"catalog --spec {spec}" in capsys.readouterr().out
    loaded = contract.load_spec(spec.resolve())
    semantics = loaded.openapi["x-apiconform"]
    assert semantics["list"] == {"operation": "listWidgets", "records": "", "id": "/id"}
    assert semantics["paging"]["style"] == "page-number" and semantics["paging"]["first-page"] == 1
    assert (semantics["paging"]["page-param"], semantics["paging"]["size-param"]) == ("page", "limit")
    assert semantics["order"]["sort"]["keys"] == {
        "name": {"field": "/name", "compare": "text"},
        "price": {"field": "/price", "compare": "decimal"},
    }
    assert set(semantics["filters"]) == {"color", "price"}
    # The document declares a 400: the values its schemas rule out are tolerated under a TODO requirement.
    assert {next(iter(each["query"])) for each in semantics["tolerated-inputs"]} == {
        "page",
        "limit",
        "sort",
        "order",
        "price",
    }
    by_id = {requirement.id: requirement for requirement in loaded.requirements}
    # A rule a description states quotes it as a MUST; one no sentence states is an inferred SHOULD, TODO.
    assert (
        by_id["LIST-PAGE-SIZE"].level == "MUST"
        and by_id["LIST-PAGE-SIZE"].quote == "A page holds at most limit widgets."
    )
    assert by_id["LIST-FILTER-COLOR"].quote == "Returns only the widgets of this color."
    assert by_id["LIST-ORDER-STABLE"].quote == "Widgets come in the same order on every request."
    assert by_id["LIST-FILTER-PRICE"].level == "SHOULD" and by_id["LIST-FILTER-PRICE"].basis == "inferred"
    assert "TODO" in (out / "requirements.yaml").read_text(encoding="utf-8")
    assert cli.main(["catalog", "--spec", str(spec)]) == 0
    assert "LIST-FILTER-COLOR" in capsys.readouterr().out


def test_several_list_operations_without_operation_is_exit_2_naming_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads(json.dumps(WIDGETS))
    other = json.loads(json.dumps(document["paths"]["/widgets"]))
    other["get"]["operationId"] = "listGadgets"
    document["paths"]["/gadgets"] = other
    path = _document(tmp_path, document)
    assert cli.main(["init", str(path), "--output", str(tmp_path / "out")]) == 2
    line = _error_line(capsys)
    assert "listWidgets" in line and "listGadgets" in line and "--operation" in line
    assert cli.main(["init", str(path), "--output", str(tmp_path / "out"), "--operation", "listGadgets"]) == 0
    assert (
        contract.load_spec((tmp_path / "out" / "acme-widgets.openapi.yaml").resolve()).semantics.operation_id
        == "listGadgets"
    )


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("{not json", "not JSON"),
        ('{"swagger": "2.0", "paths": {}}', "not an OpenAPI 3.x document"),
        ('{"openapi": "3.1.0", "paths": {"/x": {"get": {"$ref": "https://example.com/x.json"}}}}', "example.com"),
        ('{"openapi": "3.1.0", "paths": {}}', "no list operation"),
    ],
)
def test_a_bad_document_is_exit_2_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, said: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    assert cli.main(["init", str(path), "--output", str(tmp_path / "out")]) == 2
    assert said in _error_line(capsys)
    assert not (tmp_path / "out").exists()


def test_an_existing_folder_is_refused_unless_forced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "out").mkdir()
    path = _document(tmp_path, WIDGETS)
    assert cli.main(["init", str(path), "--output", str(tmp_path / "out")]) == 2
    assert "already exists" in _error_line(capsys)
    assert cli.main(["init", str(path), "--output", str(tmp_path / "out"), "--force"]) == 0


def test_init_follows_a_reference_as_the_loader_reads_it(tmp_path: Path) -> None:
    """A `$ref` percent-encoded as a URI fragment (`A%20Widget`) is one the loader accepts; init reads it the
    same way (it once split the pointer itself, and met a KeyError)."""
    document = json.loads(json.dumps(WIDGETS))
    document["components"]["schemas"] = {"A Widget": document["components"]["schemas"]["Widget"]}
    reply = document["paths"]["/widgets"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    reply["items"] = {"$ref": "#/components/schemas/A%20Widget"}
    assert cli.main(["init", str(_document(tmp_path, document)), "--output", str(tmp_path / "w")]) == 0
    assert "color" in contract.load_spec(next((tmp_path / "w").glob("*.openapi.yaml"))).semantics.filters


def _cursor_document(next_schema: dict[str, object]) -> dict[str, object]:
    """Widgets paged as Django REST framework's CursorPagination pages them: `cursor` and `page_size`, and an
    envelope whose `next` names the next page."""
    operation = WIDGETS["paths"]["/widgets"]["get"]  # type: ignore[index]
    envelope = {
        "type": "object",
        "properties": {
            "next": next_schema,
            "previous": next_schema,
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/Widget"}},
        },
    }
    return {
        **WIDGETS,
        "paths": {
            "/widgets": {
                "get": {
                    **operation,
                    "parameters": [
                        {
                            "name": "cursor",
                            "in": "query",
                            "description": "The pagination cursor value.",
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "page_size",
                            "in": "query",
                            "description": "A page holds at most page_size widgets.",
                            "schema": {"type": "integer"},
                        },
                    ],
                    "responses": {
                        "200": {"description": "A page.", "content": {"application/json": {"schema": envelope}}}
                    },
                }
            }
        },
    }


@pytest.mark.parametrize(
    ("next_schema", "location"),
    [
        ({"type": "string", "format": "uri", "nullable": True}, "body-url"),
        ({"type": ["string", "null"]}, "body-token"),
    ],
)
def test_init_recognises_cursor_paging_by_a_cursor_parameter_and_a_next_property(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], next_schema: dict[str, object], location: str
) -> None:
    out = tmp_path / "out"
    assert cli.main(["init", str(_document(tmp_path, _cursor_document(next_schema))), "--output", str(out)]) == 0
    loaded = contract.load_spec((out / "acme-widgets.openapi.yaml").resolve())
    paging = loaded.openapi["x-apiconform"]["paging"]
    assert paging == {
        "style": "cursor",
        "cursor-param": "cursor",
        "size-param": "page_size",
        "next": {location: "/next"},
        "requirements": {"size-bound": "LIST-PAGE-SIZE", "skip": "LIST-PAGE-CURSOR", "past-end": "LIST-PAGE-END"},
    }
    assert type(loaded.semantics.paging) is contract.CursorPaging
    by_id = {requirement.id: requirement for requirement in loaded.requirements}
    assert by_id["LIST-PAGE-SIZE"].level == "MUST"  # the size parameter's own sentence states it
    assert by_id["LIST-PAGE-CURSOR"].level == "SHOULD" and by_id["LIST-PAGE-CURSOR"].basis == "inferred"
    assert "cursor" not in loaded.openapi["x-apiconform"].get("filters", {})
    assert cli.main(["catalog", "--spec", str(out / "acme-widgets.openapi.yaml")]) == 0


DRF_DOCUMENT = Path(__file__).resolve().parent.parent / "examples" / "drf" / "sources" / "drf-app.openapi.json"


def _init(tmp_path: Path, document: object, *arguments: str) -> contract.Contract:
    """`init` on `document` (a path, or a document to write), the written spec loaded and its catalog printed."""
    path = document if isinstance(document, Path) else _document(tmp_path, document)
    out = tmp_path / "out"
    assert cli.main(["init", str(path), "--output", str(out), "--force", *arguments]) == 0
    spec = next(out.glob("*.openapi.yaml"))
    assert cli.main(["catalog", "--spec", str(spec)]) == 0
    return contract.load_spec(spec.resolve())


@pytest.mark.parametrize(
    ("operation", "paging"),
    [
        ("listPageNumberItems", {"style": "page-number", "page-param": "page", "size-param": "page_size"}),
        ("listLimitOffsetItems", {"style": "offset-limit", "offset-param": "offset", "limit-param": "limit"}),
        (
            "listCursorItems",
            {"style": "cursor", "cursor-param": "cursor", "size-param": "page_size", "next": {"body-url": "/next"}},
        ),
    ],
)
def test_init_on_drf_s_own_document_recognises_paging_and_the_count_of_each_list(
    tmp_path: Path, operation: str, paging: dict[str, object]
) -> None:
    """DRF's generated document: the count beside `results` is the total (the cursor's envelope has none);
    `ordering` shows no `-` prefix, so it is named in a TODO, not guessed; no filter is listed."""
    semantics = _init(tmp_path, DRF_DOCUMENT, "--operation", operation).openapi["x-apiconform"]
    assert paging.items() <= semantics["paging"].items()
    counts = {"total-pointer": "/count", "total-requirement": "LIST-COUNT-TOTAL"}
    assert semantics.get("counts") == (None if operation == "listCursorItems" else counts)
    assert "sort" not in semantics["order"] and "filters" not in semantics
    catalog = (tmp_path / "out" / "requirements.yaml").read_text(encoding="utf-8")
    assert ("ordering: a sort parameter whose description and example show no `-` prefix" in catalog) is (
        operation != "listCursorItems"
    )


def test_a_dash_prefix_shown_in_ordering_s_description_is_descending_prefix(tmp_path: Path) -> None:
    document = json.loads(DRF_DOCUMENT.read_text(encoding="utf-8"))
    ordering = document["paths"]["/items/page-number/"]["get"]["parameters"][2]
    ordering["description"] = "Which field to use when ordering the results: `price`, or `-created` for newest first."
    ordering["example"] = "name"
    semantics = _init(tmp_path, document, "--operation", "listPageNumberItems").openapi["x-apiconform"]
    assert semantics["order"]["sort"] == {
        "field-param": "ordering",
        "descending-prefix": "-",
        "keys": {
            "name": {"field": "/name", "compare": "text"},
            "price": {"field": "/price", "compare": "decimal"},
            "created": {"field": "/created", "compare": "instant"},
        },
    }
    assert semantics["order"]["requirements"].keys() == {"stable", "field", "direction"}


def _list_document(
    parameters: list[dict[str, Any]], reply: Mapping[str, Any], headers: Mapping[str, Any]
) -> dict[str, Any]:
    """Posts, listed with `parameters`; the 200 reply's schema (holding Post records) and headers."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Blog", "version": "1"},
        "paths": {
            "/posts": {
                "get": {
                    "operationId": "listPosts",
                    "parameters": [{"in": "query", **parameter} for parameter in parameters],
                    "responses": {
                        "200": {
                            "description": "Posts.",
                            "headers": headers,
                            "content": {"application/json": {"schema": reply}},
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "Post": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "na": {"type": "string"},
                        "name": {"type": "string"},
                        "title": {"type": "string"},
                        "views": {"type": "integer"},
                        "rating": {"type": ["number", "null"]},
                        "published": {"type": "string", "format": "date-time"},
                        "draft": {"type": "boolean"},
                    },
                }
            }
        },
    }


POSTS = {"type": "array", "items": {"$ref": "#/components/schemas/Post"}}


def test_json_server_style_operators_a_total_header_and_no_false_filters(tmp_path: Path) -> None:
    """json-server's spellings: `_gte`/`_lte` ranges by the field's type, `_ne`, `_like` (a regular
    expression); X-Total-Count declared in the reply is the total. `name` is exact matching on `name`, not
    `_ne` on `na`; `q` and `draft_like` (a regex on a boolean) are not filters."""
    string = {"type": "string"}
    document = _list_document(
        [
            {"name": "_page", "schema": {"type": "integer", "minimum": 1}},
            {"name": "_limit", "schema": {"type": "integer"}},
            {"name": "views_gte", "schema": {"type": "integer"}},
            {"name": "rating_lte", "schema": {"type": "number"}},
            {"name": "published_gte", "schema": string},
            {"name": "title_lte", "schema": string},
            {"name": "id_ne", "schema": {"type": "integer"}},
            {"name": "title_like", "schema": string},
            {"name": "name", "schema": string},
            {"name": "q", "schema": string},
            {"name": "draft_like", "schema": string},
        ],
        POSTS,
        {"X-Total-Count": {"description": "The total number of posts.", "schema": {"type": "integer"}}},
    )
    loaded = _init(tmp_path, document)
    semantics = loaded.openapi["x-apiconform"]
    assert {name: (entry["field"], entry["match"], entry["list"]) for name, entry in semantics["filters"].items()} == {
        "views_gte": ("/views", "decimal-gte", "single"),
        "rating_lte": ("/rating", "decimal-lte", "single"),
        "published_gte": ("/published", "instant-gte", "single"),
        "title_lte": ("/title", "text-lte", "single"),
        "id_ne": ("/id", "not-equal", "single"),
        "title_like": ("/title", "regex", "single"),
        "name": ("/name", "exact", "single"),
    }
    assert semantics["counts"] == {"total-header": "X-Total-Count", "total-requirement": "LIST-COUNT-TOTAL"}
    by_id = {requirement.id: requirement for requirement in loaded.requirements}
    # The header's own description states the total: a MUST quoting it, copied to the sources.
    assert by_id["LIST-COUNT-TOTAL"].level == "MUST" and by_id["LIST-COUNT-TOTAL"].quote == "The total number of posts."
    assert "unknown_filter_value_matches_nothing" not in by_id["LIST-FILTER-ID-NE"].checks
    catalog = (tmp_path / "out" / "requirements.yaml").read_text(encoding="utf-8")
    assert "q: a query parameter not recognised as a filter" in catalog
    assert "draft_like: regex on draft, a field of type boolean" in catalog


def test_datasette_style_operators_direction_params_a_token_and_a_link(tmp_path: Path) -> None:
    """Datasette's spellings: `__not`, `__in` (a comma list, as its description says), `__gt`, `__startswith`,
    `__contains`; `_sort`/`_sort_desc` as direction-params; `_next` with a `next` token in the body. With a
    Link header and no next property, the Link header names the next page."""
    string = {"type": "string"}
    parameters = [
        {"name": "_next", "schema": string},
        {"name": "_size", "schema": {"type": "integer"}},
        {"name": "_sort", "schema": {"type": "string", "enum": ["views", "title", "nosuch"]}},
        {"name": "_sort_desc", "schema": {"type": "string", "enum": ["views", "title", "nosuch"]}},
        {"name": "title__not", "schema": string},
        {"name": "title__in", "description": "A comma-separated list of titles.", "schema": string},
        {"name": "views__in", "schema": string},
        {"name": "views__gt", "schema": string},
        {"name": "published__lt", "schema": string},
        {"name": "name__startswith", "schema": string},
        {"name": "name__contains", "schema": string},
        {"name": "views__contains", "schema": string},
        {"name": "title__like", "schema": string},
        {"name": "title__gte", "schema": {"type": "array", "items": string}},
    ]
    envelope = {"type": "object", "properties": {"next": {"type": ["string", "null"]}, "rows": POSTS}}
    loaded = _init(tmp_path, _list_document(parameters, envelope, {}))
    semantics = loaded.openapi["x-apiconform"]
    assert semantics["paging"]["next"] == {"body-token": "/next"} and semantics["paging"]["cursor-param"] == "_next"
    assert semantics["order"]["sort"] == {
        "direction-params": {"_sort": "asc", "_sort_desc": "desc"},
        "keys": {"views": {"field": "/views", "compare": "decimal"}, "title": {"field": "/title", "compare": "text"}},
    }
    assert {name: (entry["field"], entry["match"], entry["list"]) for name, entry in semantics["filters"].items()} == {
        "title__not": ("/title", "not-equal", "single"),
        "title__in": ("/title", "exact", "comma"),
        "views__in": ("/views", "exact", "comma"),
        "views__gt": ("/views", "decimal-gt", "single"),
        "published__lt": ("/published", "instant-lt", "single"),
        "name__startswith": ("/name", "starts-with", "single"),
        "name__contains": ("/name", "contains", "single"),
    }
    assert "counts" not in semantics
    catalog = (tmp_path / "out" / "requirements.yaml").read_text(encoding="utf-8")
    assert "views__in: `in` with no list form" in catalog and "title__in: `in`" not in catalog
    assert "views__contains: contains on views" in catalog and "title__like: a query parameter not" in catalog
    assert "title__gte: a text-gte filter takes one value" in catalog
    linked = _list_document(
        parameters[:2], {"type": "object", "properties": {"rows": POSTS}}, {"Link": {"schema": string}}
    )
    (tmp_path / "linked").mkdir()
    assert _init(tmp_path / "linked", linked).openapi["x-apiconform"]["paging"]["next"] == {"link": "next"}
