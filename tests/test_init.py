"""`apiconform init`: a starting spec folder from the owner's OpenAPI document, which loads and catalogs."""

from __future__ import annotations

import json
from pathlib import Path

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
