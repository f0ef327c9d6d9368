"""Write README.md's `x-apiconform` vocabulary from its JSON Schema, the one description of the block.

specs/schemas/x-apiconform.schema.yaml gives every property a `description` (what the key means) and each
top-level property an `x-checks` (what the suite checks with it). This renders them as the README's
vocabulary: a table of the top-level keys, then every key inside them, block by block, and puts that
between the README's two marker lines. A property without a description is refused, so that a key added
to the schema is explained where users read.

    python tools/vocabulary.py           # rewrite README.md between its markers
    python tools/vocabulary.py --check   # exit 1 when README.md is not what the schema gives

Exit status: 0 when README.md is (now) what the schema gives, 1 with --check when it is not, 2 on a
schema property without a description, a README without its markers, or a file that cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "specs" / "schemas" / "x-apiconform.schema.yaml"
README = ROOT / "README.md"
BEGIN = (
    "<!-- BEGIN x-apiconform vocabulary: generated from specs/schemas/x-apiconform.schema.yaml by "
    "`python tools/vocabulary.py`; edit the schema's descriptions, not these lines -->"
)
END = "<!-- END x-apiconform vocabulary -->"

# How a `$defs` entry's values are written, where the entry is a value rather than a block of keys.
DEF_FORMS = {"pointer": "JSON pointer", "requirement": "requirement ID", "query": "query: parameter to value"}


class VocabularyError(Exception):
    """The schema or the README cannot give the vocabulary (one line, for the user)."""


def _resolved(schema: Mapping[str, Any], node: Mapping[str, Any]) -> tuple[str | None, Mapping[str, Any]]:
    """The name of the `$defs` entry `node` refers to (None when it refers to none), and that entry, with
    the node's own keywords (its description) kept."""
    reference = node.get("$ref")
    if reference is None:
        return None, node
    name = str(reference).removeprefix("#/$defs/")
    return name, {**schema["$defs"][name], **{key: value for key, value in node.items() if key != "$ref"}}


def _spelled(value: Any) -> str:
    """A value as YAML and JSON write it (`true`, not Python's `True`)."""
    return f"`{value if isinstance(value, str) else json.dumps(value)}`"


def _values(values: list[Any]) -> str:
    spelled = [_spelled(value) for value in values]
    return spelled[0] if len(spelled) == 1 else ", ".join(spelled[:-1]) + " or " + spelled[-1]


def _form(schema: Mapping[str, Any], node: Mapping[str, Any]) -> str:
    """What a value of `node` is written as, in a few words ("" for a block of keys)."""
    name, node = _resolved(schema, node)
    if name in DEF_FORMS:
        return DEF_FORMS[name]
    if "const" in node:
        return _spelled(node["const"])
    if "enum" in node:
        return _values(node["enum"])
    kind = node.get("type")
    if kind == "array":
        items = _form(schema, node.get("items", {}))
        return f"list of {items}" if items else "list"
    if kind == "object" and "properties" not in node and isinstance(node.get("additionalProperties"), dict):
        entry = node["additionalProperties"]
        value = _form(schema, entry)
        return f"map of name to {value}" if value and "properties" not in _resolved(schema, entry)[1] else "map"
    return {"string": "text", "integer": "integer", "number": "number", "boolean": "`true` or `false`"}.get(
        str(kind), ""
    )


def _description(node: Mapping[str, Any], where: str) -> str:
    description = node.get("description")
    if not isinstance(description, str) or not description.strip():
        raise VocabularyError(f"{where} has no description (every key of the schema says what it means)")
    return " ".join(description.split())


def _children(schema: Mapping[str, Any], node: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The blocks of keys inside a value of `node`: its own properties, an array's items, a map's entries and
    each `oneOf` branch, each with the label it is listed under ("" for the node's own properties)."""
    _, node = _resolved(schema, node)
    if node.get("type") == "array" and isinstance(node.get("items"), dict):
        yield from _children(schema, node["items"])
        return
    if "properties" in node:
        yield "", node
    entry = node.get("additionalProperties")
    if isinstance(entry, dict) and "properties" in _resolved(schema, entry)[1]:
        yield "each entry", _resolved(schema, entry)[1]
    for branch in node.get("oneOf", []):
        if "properties" in branch:
            told = [f"`{key}: {value['const']}`" for key, value in branch["properties"].items() if "const" in value]
            yield f"with {told[0]}" if told else "or", branch


def _key_lines(schema: Mapping[str, Any], block: Mapping[str, Any], where: str, depth: int) -> Iterator[str]:
    """One list item per property of `block`, each followed by the keys inside it, indented."""
    required = set(block.get("required", []))
    for key, node in block["properties"].items():
        place = f"{where}.{key}"
        form = _form(schema, node)
        notes = ", ".join(note for note in ("required" if key in required else "", form) if note)
        yield f"{'  ' * depth}- `{key}`{f' ({notes})' if notes else ''}: {_description(node, place)}"
        yield from _block_lines(schema, node, place, depth + 1)


def _block_lines(schema: Mapping[str, Any], node: Mapping[str, Any], where: str, depth: int) -> Iterator[str]:
    for label, block in _children(schema, node):
        if label:
            entry = f" {_description(block, f'{where} ({label})')}" if label == "each entry" else ""
            yield f"{'  ' * depth}- {label}:{entry}"
            yield from _key_lines(schema, block, f"{where} ({label})", depth + 1)
        else:
            yield from _key_lines(schema, block, where, depth)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render(schema: Mapping[str, Any]) -> str:
    """The vocabulary the schema gives: the table of top-level keys and the list of the keys inside them,
    between the markers (the lines that replace the README's, markers included)."""
    if not isinstance(schema, Mapping) or not isinstance(schema.get("properties"), Mapping):
        raise VocabularyError("the schema is not a JSON Schema of an object with properties")
    lines = [BEGIN, "", "| Key | What it says | Checks it drives |", "|---|---|---|"]
    required = set(schema.get("required", []))
    for key, node in schema["properties"].items():
        description = _description(node, f"x-apiconform.{key}")
        checks = " ".join(str(node.get("x-checks", "")).split())
        lines.append(f"| `{key}`{' (required)' if key in required else ''} | {_cell(description)} | {_cell(checks)} |")
    lines += ["", "<details><summary>Every key inside those blocks</summary>", ""]
    for key, node in schema["properties"].items():
        nested = list(_block_lines(schema, node, f"x-apiconform.{key}", 1))
        if nested:
            lines += [f"- `{key}`:", *nested]
    lines += ["", "</details>", "", END]
    return "\n".join(lines)


def replaced(readme: str, vocabulary: str) -> str:
    """`readme` with the lines from its BEGIN marker to its END marker replaced by `vocabulary`."""
    lines = readme.split("\n")
    starts = [number for number, line in enumerate(lines) if line.startswith("<!-- BEGIN x-apiconform vocabulary")]
    ends = [number for number, line in enumerate(lines) if line == END]
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        raise VocabularyError("the README needs one BEGIN x-apiconform vocabulary line and one END line after it")
    return "\n".join([*lines[: starts[0]], vocabulary, *lines[ends[0] + 1 :]])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether the README is what the schema gives")
    parser.add_argument("--schema", type=Path, default=SCHEMA, help="the x-apiconform JSON Schema (YAML)")
    parser.add_argument("--readme", type=Path, default=README, help="the README whose vocabulary is rewritten")
    args = parser.parse_args(argv)
    try:
        schema = yaml.safe_load(args.schema.read_text(encoding="utf-8"))
        readme = args.readme.read_text(encoding="utf-8")
        wanted = replaced(readme, render(schema))
    except (OSError, yaml.YAMLError, VocabularyError) as exc:
        print(f"vocabulary: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    if wanted == readme:
        print(f"{args.readme} is what {args.schema} gives")
        return 0
    if args.check:
        print(f"{args.readme} is not what {args.schema} gives: run python tools/vocabulary.py", file=sys.stderr)
        return 1
    args.readme.write_text(wanted, encoding="utf-8")
    print(f"{args.readme}: vocabulary rewritten from {args.schema}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
