"""Reading the files apiconform takes as data: specs, catalogs, the sources quotes are checked against, waivers.

Any of them may come from someone else (a spec from a vendor or a repository names its catalog, the catalog
its sources), so every one is read the same guarded way, with the limits in one place:
- only a regular file is opened (a FIFO would block, /dev/zero never end), of at most `MAX_FILE_BYTES`;
- a file a spec names must resolve, symbolic links followed, inside the folder it is named from;
- YAML is measured from its parser's events before a node is built: at most `MAX_DEPTH` levels and
  `MAX_NODES` values with its aliases expanded (an alias "bomb" of a few lines names billions), and no
  alias inside the node it names;
- a message quotes the file's content only as a short, printable `excerpt`, and a schema complaint names
  what the schema expects, never the value found (which could be a token file's text).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import jsonschema
import yaml

# The limits for every file read as data (README "What a spec file may do"). A spec for a few list
# endpoints is tens of kilobytes, a large vendor's whole API a few megabytes; the depth is where
# schemathesis' and jsonschema's recursive walks of a schema still stay far from Python's recursion limit.
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_NODES = 500_000
MAX_DEPTH = 100
EXCERPT_CHARS = 40

# libyaml's parser when PyYAML has it (the same safe constructor, several times faster): start-up counts
# against --max-time.
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DataFileError(Exception):
    """A file that is refused or cannot be read: the message is one line and quotes no more than an excerpt."""


def excerpt(text: object, limit: int = EXCERPT_CHARS, *, quoted: bool = True) -> str:
    """`text` for a one-line message: at most `limit` characters, each unprintable one (a control character,
    a bidi override, a line break) written as its escape; in quotes unless `quoted` is false."""
    shown = str(text)
    escaped = repr(shown[:limit])
    return (escaped if quoted else escaped[1:-1]) + ("…" if len(shown) > limit else "")


def read_text(path: Path, *, inside: Path | None = None, limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of the regular file at `path`, of at most `limit` bytes.

    With `inside`, the file must resolve (symbolic links followed) to a file under that folder."""
    if inside is not None and not _resolves_inside(path, inside):
        raise DataFileError(f"{path}: not inside {inside} (a file a spec names must be in the spec's folder)")
    try:
        status = os.stat(path)
    except FileNotFoundError:
        raise DataFileError(f"{path}: no such file") from None
    except (OSError, ValueError) as exc:
        raise DataFileError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    # Checked before opening: opening a FIFO for reading blocks until a writer comes.
    _check_status(path, status, limit)
    try:
        # Non-blocking, so that a FIFO put in its place after the check cannot block the open either.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(descriptor, "rb") as stream:
            _check_status(path, os.fstat(stream.fileno()), limit)
            data = stream.read(limit + 1)
    except OSError as exc:
        raise DataFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise DataFileError(f"{path}: larger than {_size(limit)}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def _resolves_inside(path: Path, folder: Path) -> bool:
    try:
        # Not strict for the file: a missing file inside the folder is "no such file", said next.
        return path.resolve().is_relative_to(folder.resolve(strict=True))
    except (OSError, RuntimeError):  # a symbolic link loop (RuntimeError before Python 3.13), no folder
        return False


def _check_status(path: Path, status: os.stat_result, limit: int) -> None:
    if not stat.S_ISREG(status.st_mode):
        raise DataFileError(f"{path}: not a regular file")
    if status.st_size > limit:
        raise DataFileError(f"{path}: larger than {_size(limit)}")


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"


def read_yaml(path: Path, *, inside: Path | None = None, loader: Any = SAFE_LOADER) -> Any:
    """The YAML document in the file at `path` (see `read_text`), within the limits (see `parse_yaml`)."""
    return parse_yaml(read_text(path, inside=inside), str(path), loader=loader)


def parse_yaml(text: str, source: str, *, loader: Any = SAFE_LOADER) -> Any:
    """The YAML document in `text` (None when empty), built by `loader` (a safe loader) once its events show
    it within MAX_DEPTH levels and MAX_NODES values with every alias expanded."""
    try:
        _measure(text, source, loader)
        parser = loader(text)
        try:
            return parser.get_single_data()
        finally:
            parser.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise DataFileError(f"{source}: not YAML{where}: {problem}") from None
    except RecursionError:  # the pure-Python composer recurses once per level (libyaml stops at 1,000)
        raise DataFileError(f"{source}: nested deeper than {MAX_DEPTH} levels") from None


def _measure(text: str, source: str, loader: Any) -> None:
    """Walk the parser's events (no node is built yet) and refuse a document beyond the limits.

    Every value counts once for each place it appears: an alias counts all the values of the node it names,
    and reaches as deep below where it stands as that node is high. A node's expanded size is what the
    running count grew by between its start and its end."""
    # Each collection still open: [its anchor, the count before it, the deepest level reached inside it].
    open_nodes: list[list[Any]] = []
    anchored: dict[str, tuple[int, int]] = {}  # anchor -> (values, levels) of the node it names
    count = 0

    def reach(values: int, levels: int) -> None:
        """Count `values` more, standing `levels` below the innermost open collection."""
        nonlocal count
        count += values
        level = len(open_nodes) + levels
        if open_nodes:
            open_nodes[-1][2] = max(open_nodes[-1][2], level)
        if count > MAX_NODES:
            raise DataFileError(f"{source}: more than {MAX_NODES:,} values with its YAML aliases expanded")
        if level > MAX_DEPTH:
            raise DataFileError(f"{source}: nested deeper than {MAX_DEPTH} levels")

    parser = loader(text)
    try:
        while parser.check_event():
            event = parser.get_event()
            if isinstance(event, yaml.AliasEvent):
                if any(node[0] == event.anchor for node in open_nodes):
                    raise DataFileError(f"{source}: the YAML alias {excerpt(event.anchor)} is inside the node it names")
                # An undefined alias is the composer's error to report, after this walk.
                reach(*anchored.get(event.anchor or "", (1, 0)))
            elif isinstance(event, yaml.ScalarEvent):
                reach(1, 0)
                if event.anchor is not None:
                    anchored[event.anchor] = (1, 0)
            elif isinstance(event, yaml.CollectionStartEvent):
                reach(1, 1)
                open_nodes.append([event.anchor, count - 1, len(open_nodes) + 1])
            elif isinstance(event, yaml.CollectionEndEvent):
                anchor, started, deepest = open_nodes.pop()
                if open_nodes:
                    open_nodes[-1][2] = max(open_nodes[-1][2], deepest)
                if anchor is not None:
                    anchored[anchor] = (count - started, deepest - len(open_nodes))
    finally:
        parser.dispose()


def schema_complaint(error: jsonschema.ValidationError) -> str:
    """Where a value breaks a JSON Schema and what the schema expects there, in one line (see `schema_rule`)."""
    location = "/".join(excerpt(part, 60, quoted=False) for part in error.absolute_path)
    return f"{location or '(top level)'}: {schema_rule(error)}"


def schema_rule(error: jsonschema.ValidationError) -> str:
    """What the schema expects of the value `error` is about, without the value.

    jsonschema's own message starts with the value found (`'SeCrEt…' is not of type 'object'`), which may
    be any file's text, a token; this one names the schema's rule, and of the value at most the short
    excerpts of key names a schema does not allow."""
    expected = error.validator_value
    instance = error.instance
    rule = str(error.validator)
    if rule == "type":
        return f"must be of type {' or '.join(expected) if isinstance(expected, list) else expected}"
    if rule == "required":
        return str(error.message)  # "'name' is a required property": the name is the schema's
    if rule in ("additionalProperties", "unevaluatedProperties") and isinstance(instance, dict):
        known = set(error.schema.get("properties", {})) if isinstance(error.schema, dict) else set()
        unexpected = [excerpt(key) for key in instance if key not in known]
        return "unexpected key " + ", ".join(unexpected[:3]) + (", …" if len(unexpected) > 3 else "")
    if rule == "enum":
        return f"must be one of {excerpt(expected, 200)}"
    if rule == "const":
        return f"must be {expected!r}"
    if rule == "pattern":
        return f"must match the pattern {expected!r}"
    if rule == "format":
        return f"must be a valid {expected}"
    if rule == "uniqueItems":
        return "must not repeat an item"
    # Rules between keys (x-apiconform's `counts`): named by the schema's own key names, never the value's.
    if rule == "dependentRequired" and isinstance(instance, dict) and isinstance(expected, dict):
        unmet = [
            (key, [name for name in names if name not in instance])
            for key, names in expected.items()
            if key in instance and any(name not in instance for name in names)
        ]
        if unmet:
            given, needed = unmet[0]
            return f"{given!r} needs {' and '.join(map(repr, needed))}"
    if rule in ("anyOf", "oneOf") and isinstance(expected, list) and _only_required(expected):
        return "needs one of " + ", ".join(repr(branch["required"][0]) for branch in expected)
    if rule == "not" and isinstance(expected, dict) and set(expected) == {"required"}:
        keys = list(map(repr, expected["required"]))
        return f"must not have {keys[0]}" if len(keys) == 1 else "must not have both " + " and ".join(keys)
    branches = expected if rule == "oneOf" and isinstance(expected, list) else []
    if branches and all(isinstance(branch, dict) and "properties" not in branch for branch in branches):
        # Branches that only name keys (one spelling each, e.g. order.sort's): say which sets may be written.
        spellings = " | ".join(", ".join(branch.get("required", [])) for branch in branches)
        return f"must have the keys of exactly one of these forms: {spellings}"
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        return f"breaks {rule} {expected}"
    return f"does not satisfy the schema's {rule!r} rule"


def _only_required(branches: Any) -> bool:
    """Whether each of a schema's `anyOf`/`oneOf` branches only requires one key (one of these keys is needed)."""
    return isinstance(branches, list) and all(
        isinstance(branch, dict) and set(branch) == {"required"} and len(branch["required"]) == 1 for branch in branches
    )
