"""The `x-apiconform` JSON Schema is the one description of the block: every property says what it means,
and README.md's vocabulary is what tools/vocabulary.py generates from it (issue 25, item 1)."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from apiconform import contract

ROOT = Path(__file__).resolve().parents[1]


def _tool() -> ModuleType:
    """tools/vocabulary.py, which is a script, not part of the package."""
    spec = importlib.util.spec_from_file_location("vocabulary", ROOT / "tools" / "vocabulary.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


vocabulary = _tool()


def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = yaml.safe_load(vocabulary.SCHEMA.read_text(encoding="utf-8"))
    return schema


def _property_paths(schema: Mapping[str, Any], node: Mapping[str, Any], prefix: str) -> Iterator[str]:
    """Every property below `node` as a dotted path, found by walking every place a JSON Schema can hold
    properties (independently of the generator's walk, so that a key it skipped is caught)."""
    if "$ref" in node:
        yield from _property_paths(schema, schema["$defs"][node["$ref"].removeprefix("#/$defs/")], prefix)
    for key, child in node.get("properties", {}).items():
        path = f"{prefix}.{key}" if prefix else key
        yield path
        yield from _property_paths(schema, child, path)
    for keyword in ("items", "additionalProperties", "then", "else", "not"):
        if isinstance(node.get(keyword), dict):
            yield from _property_paths(schema, node[keyword], prefix)
    for keyword in ("oneOf", "anyOf", "allOf"):
        for branch in node.get(keyword, []):
            yield from _property_paths(schema, branch, prefix)


def _readme_paths(readme: str) -> set[str]:
    """The keys README.md's vocabulary names, as dotted paths: the table's first column, and each
    "- `key`" of the nested list under its parents ("- each entry:" and "- with ...:" lines add no name)."""
    begin = readme.index("<!-- BEGIN x-apiconform vocabulary")
    section = readme[begin : readme.index(vocabulary.END, begin)]
    paths = set(re.findall(r"^\| `([a-z-]+)`", section, re.MULTILINE))
    parents: list[str | None] = []
    for line in section.split("<details>", 1)[1].splitlines():
        item = re.match(r"^( *)- (?:`([a-z-]+)`)?", line)
        if item is None:
            continue
        depth = len(item[1]) // 2
        parents = [*parents[:depth], item[2]]
        if item[2] is not None:
            paths.add(".".join(name for name in parents if name is not None))
    return paths


def test_the_readme_vocabulary_is_what_the_schema_gives(capsys):
    """Fails when the schema's descriptions change without `python tools/vocabulary.py` being run."""
    assert vocabulary.main(["--check"]) == 0, capsys.readouterr().err


def test_the_readme_names_every_key_of_the_schema_at_its_place():
    schema = _schema()
    readme = vocabulary.README.read_text(encoding="utf-8")
    assert _readme_paths(readme) == set(_property_paths(schema, schema, ""))
    assert len(_readme_paths(readme)) > 150


def test_every_key_of_the_schema_says_what_it_means():
    schema = _schema()
    vocabulary.render(schema)  # refuses a property without a description
    del schema["properties"]["filters"]["additionalProperties"]["properties"]["narrowing"]["description"]
    with pytest.raises(vocabulary.VocabularyError, match=r"x-apiconform\.filters \(each entry\)\.narrowing has no"):
        vocabulary.render(schema)
    paging = _schema()
    del paging["$defs"]["paging-requirements"]["properties"]["skip"]["description"]
    with pytest.raises(vocabulary.VocabularyError, match=r"paging \(with `style: page-number`\)\.requirements\.skip"):
        vocabulary.render(paging)


def test_the_tool_rewrites_a_stale_readme_and_refuses_bad_input_in_one_line(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\n{vocabulary.BEGIN}\nan old table\n{vocabulary.END}\n\nAfter.\n", encoding="utf-8")
    assert vocabulary.main(["--check", "--readme", str(readme)]) == 1
    assert "is not what" in capsys.readouterr().err
    assert vocabulary.main(["--readme", str(readme)]) == 0
    rewritten = readme.read_text(encoding="utf-8")
    assert rewritten.startswith("# Title\n\n<!-- BEGIN") and rewritten.endswith(f"{vocabulary.END}\n\nAfter.\n")
    assert "an old table" not in rewritten and "| `filters` |" in rewritten
    assert vocabulary.main(["--check", "--readme", str(readme)]) == 0
    capsys.readouterr()

    readme.write_text("# No markers\n", encoding="utf-8")
    schema = tmp_path / "schema.yaml"
    schema.write_text("type: object\nproperties:\n  api: {type: string}\n", encoding="utf-8")
    for argv, said in (
        (["--readme", str(readme)], "needs one BEGIN"),
        (["--readme", str(tmp_path / "absent.md")], "No such file"),
        (["--schema", str(schema)], "x-apiconform.api has no description"),
    ):
        assert vocabulary.main(argv) == 2
        err = capsys.readouterr().err
        assert said in err and err.count("\n") == 1 and "Traceback" not in err


def test_the_deprecated_order_stable_is_read_by_nothing():
    """`order.stable` was read into the model and never looked at (DECISIONS.md D-GEN-64): the schema says
    so, and the model no longer pretends."""
    stable = _schema()["properties"]["order"]["properties"]["stable"]
    assert stable["deprecated"] is True and "no effect" in stable["description"]
    assert "stable" not in {field.name for field in dataclasses.fields(contract.Ordering)}
