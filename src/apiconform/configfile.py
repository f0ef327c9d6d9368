"""The config file: `apiconform.toml`, or the `[tool.apiconform]` table of pyproject.toml.

Its keys are the run options of engine/options.py's one table, each named as its flag without the dashes
(`rate-limit = 5`, `path-param = {enterpriseId = "..."}`), so the file, the command line and the pytest
door never disagree on what an option is. Options at the top level apply to every run; `[targets.NAME]`
tables name complete runs (`api` or `spec`, `base-url`, path parameters, rate, waivers, auth) that
`apiconform run --target NAME|all` runs. What the command line gives wins over the target's table, which
wins over the top level, which wins over the defaults.

A secret never sits in the file: an option whose value is a secret (`options.SECRET_OPTIONS`) takes only a
reference, `"${VAR}"`, to an environment variable, or the option's file form (`token-file`). Every string
may use `${VAR}` (`$$` is a dollar sign); a variable that is unset or empty is an error that names it, never
its value. A relative path is taken from the file's folder, not the working one, so a file means the same
wherever the command runs. The file's JSON Schema (`schema()`, docs/apiconform.schema.json, `apiconform
config --schema`) is made from the option table, so editors and the loader check the same keys.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from apiconform import datafiles
from apiconform.engine import options

CONFIG_FILE = "apiconform.toml"
PYPROJECT = "pyproject.toml"
# A config file names a few runs; a larger one is not a config file.
MAX_CONFIG_BYTES = 1024 * 1024
# A target's name becomes a report folder's name and a CI matrix entry: letters, digits, `.`, `_`, `-`.
TARGET_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
ALL_TARGETS = "all"
_REFERENCE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|\$)")
_WHOLE_REFERENCE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")


class ConfigFileError(Exception):
    """The config file cannot be used (exit code 2): one line naming the file and the key, never a secret."""


@dataclass(frozen=True)
class ConfigFile:
    """A config file as read: where it is, its top-level options and its targets, by key as written."""

    path: Path
    shared: Mapping[str, Any] = field(default_factory=dict)
    targets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return self.path.parent

    def where(self, target: str | None = None) -> str:
        """How a message names the table a key is in."""
        return f"{self.path.name} [targets.{target}]" if target else self.path.name


# --- the schema, from the option table ----------------------------------------------------------------


def option_keys() -> dict[str, tuple[str, dict[str, Any]]]:
    """Each key the file may hold (the flag without its dashes) and its flag and keyword arguments: `--api`
    and the option table. A spec's path-parameter shorthands are not keys (`path-param` holds them)."""
    return {flag.lstrip("-"): (flag, keywords) for flag, keywords in (options.api_option(), *options.RUN_OPTIONS)}


def _value_schema(keywords: Mapping[str, Any]) -> dict[str, Any]:
    help_text = " ".join(str(keywords.get("help", "")).split())
    if keywords.get("action") == "store_true":
        return {"type": "boolean", "description": help_text}
    if keywords.get("action") == "append":
        # One value may be written alone; NAME=VALUE options read better as a table: path-param = {id = "7"}.
        forms: list[dict[str, Any]] = [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
        if options.takes_pairs(keywords):
            forms.append({"type": "object", "additionalProperties": {"type": "string"}})
        return {"description": help_text, "anyOf": forms}
    kind = "integer" if keywords.get("type") is int else "number" if keywords.get("type") is float else "string"
    described: dict[str, Any] = {"type": kind, "description": help_text}
    if "choices" in keywords:
        described["enum"] = list(keywords["choices"])
    return described


def schema() -> dict[str, Any]:
    """The JSON Schema of a config file (docs/apiconform.schema.json is this, written out)."""
    properties = {key: _value_schema(keywords) for key, (_, keywords) in option_keys().items()}
    target = {"type": "object", "additionalProperties": False, "properties": properties}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "apiconform.toml",
        "description": "apiconform's config file (or [tool.apiconform] in pyproject.toml): run options by their "
        'flag\'s name, and named targets. Secrets only as "${VAR}" references or file options.',
        "type": "object",
        "additionalProperties": False,
        "properties": {
            **properties,
            "targets": {
                "type": "object",
                "description": "Named runs: `apiconform run --target NAME` (or `all`).",
                "propertyNames": {"pattern": TARGET_NAME},
                "additionalProperties": target,
            },
        },
    }


# --- finding and reading ------------------------------------------------------------------------------


def find(explicit: str | None, folder: Path) -> Path | None:
    """The config file to read: `explicit` (--config), else apiconform.toml in `folder`, else `folder`'s
    pyproject.toml when it has a [tool.apiconform] table, else none."""
    if explicit:
        return Path(explicit)
    if (folder / CONFIG_FILE).is_file():
        return folder / CONFIG_FILE
    pyproject = folder / PYPROJECT
    if pyproject.is_file():
        try:
            document = tomllib.loads(datafiles.read_text(pyproject, limit=MAX_CONFIG_BYTES))
        except (datafiles.DataFileError, tomllib.TOMLDecodeError):
            return None  # not ours to judge: apiconform reads only its own table of it
        if isinstance(document.get("tool"), dict) and "apiconform" in document["tool"]:
            return pyproject
    return None


def load(path: Path) -> ConfigFile:
    """Read and check a config file; raises ConfigFileError (one line)."""
    try:
        document = tomllib.loads(datafiles.read_text(path, limit=MAX_CONFIG_BYTES))
    except datafiles.DataFileError as exc:
        raise ConfigFileError(f"--config: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(f"{path.name}: not TOML: {exc}") from None
    if path.name == PYPROJECT:
        tool = document.get("tool")
        table = tool.get("apiconform") if isinstance(tool, dict) else None
        if not isinstance(table, dict):
            raise ConfigFileError(f"{path}: has no [tool.apiconform] table")
        document = table
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema()).iter_errors(document))
    if error is not None:
        raise ConfigFileError(f"{path.name}: {datafiles.schema_complaint(error)}")
    targets = document.pop("targets", {})
    file = ConfigFile(path.resolve(), shared=document, targets=targets)
    # A secret written in the file is refused wherever it is, in a target this run does not take too.
    for table_target, table in [(None, file.shared), *targets.items()]:
        for key, written in table.items():
            if f"--{key}" in options.SECRET_OPTIONS:
                _refuse_literal_secret(written, f"{file.where(table_target)}: {key}")
    return file


def selected_targets(file: ConfigFile | None, wanted: list[str], shard: tuple[int, int] | None) -> list[str]:
    """The targets `--target` names (`all`: every one, in the file's order), then the `--shard K/N` share of
    them: every N-th from the K-th, so that N matrix jobs together run each target once."""
    if file is None:
        raise ConfigFileError(f"--target needs a config file ({CONFIG_FILE} here, or --config FILE)")
    if not file.targets:
        raise ConfigFileError(f"{file.path.name} defines no [targets.NAME] tables for --target")
    names: list[str] = []
    for name in wanted:
        if name == ALL_TARGETS:
            names += [each for each in file.targets if each not in names]
        elif name not in file.targets:
            raise ConfigFileError(
                f"--target {name}: {file.path.name} has no such target (it has: {', '.join(file.targets)})"
            )
        elif name not in names:
            names.append(name)
    if shard is None:
        return names
    index, count = shard
    share = names[index - 1 :: count]
    if not share:
        raise ConfigFileError(f"--shard {index}/{count}: no target left for this shard ({len(names)} selected)")
    return share


def shard(text: str) -> tuple[int, int]:
    """--shard K/N as (K, N), for argparse."""
    matched = re.fullmatch(r"(\d{1,4})/(\d{1,4})", text)
    if not matched or not 1 <= int(matched[1]) <= int(matched[2]):
        raise argparse.ArgumentTypeError(f"{text!r} is not K/N with 1 <= K <= N (such as 1/2)")
    return int(matched[1]), int(matched[2])


# --- the settings a run takes from the file ----------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One option's value from the file, keyed by argparse dest, and where in the file it was written."""

    dest: str
    value: Any
    origin: str  # "file" (the top level) or "target NAME"
    written: Any  # as written, before ${VAR} and paths: what `apiconform config` may show of a secret


def settings(file: ConfigFile, target: str | None, environ: Mapping[str, str] | None = None) -> dict[str, Setting]:
    """The options the file gives a run of `target` (None: the top level alone), by dest: the target's
    table over the top level; references substituted, relative paths made the file's, secrets checked."""
    environ = os.environ if environ is None else environ
    tables: list[tuple[str, Mapping[str, Any], str | None]] = [("file", file.shared, None)]
    if target is not None:
        tables.append((f"target {target}", file.targets[target], target))
    found: dict[str, Setting] = {}
    keys = option_keys()
    for origin, table, table_target in tables:
        for key, written in table.items():
            flag, keywords = keys[key]
            where = f"{file.where(table_target)}: {key}"
            value = _typed(_substituted(written, where, environ), keywords)
            if _names_files(keywords):
                value = _from_folder(value, file.folder)
            found[options.dest(flag)] = Setting(options.dest(flag), value, origin, written)
    return found


def _refuse_literal_secret(written: Any, where: str) -> None:
    values = written.values() if isinstance(written, dict) else written if isinstance(written, list) else [written]
    for value in values:
        secret = str(value).split("=", 1)[1] if isinstance(written, list) and "=" in str(value) else str(value)
        if not _WHOLE_REFERENCE.fullmatch(secret.strip()):
            raise ConfigFileError(
                f'{where}: a secret is not written in a config file; write "${{VAR}}" and set the environment '
                "variable VAR, or use the option's file form"
            )


def _substituted(value: Any, where: str, environ: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        return {name: _substituted(item, where, environ) for name, item in value.items()}
    if isinstance(value, list):
        return [_substituted(item, where, environ) for item in value]
    if not isinstance(value, str):
        return value

    def replaced(matched: re.Match[str]) -> str:
        if matched[1] is None:
            return "$"
        found = environ.get(matched[1])
        if not found:
            raise ConfigFileError(f"{where}: ${{{matched[1]}}} is not set (or empty) in the environment")
        return found

    return _REFERENCE.sub(replaced, value)


def _typed(value: Any, keywords: Mapping[str, Any]) -> Any:
    """The value as argparse would have made it from the command line."""
    if isinstance(value, dict):
        return [f"{name}={item}" for name, item in value.items()]
    if keywords.get("action") == "append" and isinstance(value, str):
        return [value]
    if keywords.get("type") is float and not isinstance(value, bool):
        return float(value)
    return value


def _names_files(keywords: Mapping[str, Any]) -> bool:
    return str(keywords.get("metavar", "")).rsplit("=", 1)[-1] in ("FILE", "DIR")


def _from_folder(value: Any, folder: Path) -> Any:
    if isinstance(value, list):
        return [_from_folder(item, folder) for item in value]
    name, equals, path = str(value).rpartition("=")
    return f"{name}{equals}{folder / Path(path).expanduser()}"


def apply(args: argparse.Namespace, found: Mapping[str, Setting], given: set[str]) -> None:
    """Put the file's settings into the parsed command line, except where the command line gave its own."""
    for dest, setting in found.items():
        if dest not in given:
            setattr(args, dest, setting.value)


def for_target(args: argparse.Namespace, name: str) -> argparse.Namespace:
    """The parsed command line as a run of target `name` alone sees it: the file's settings for that target
    under what the command line gave."""
    alone = copy.copy(args)
    apply(alone, settings(args.config_file, name), args.given)
    alone.target_name = name
    return alone


def given_on_command_line(words: list[str], spec: str | None = None) -> set[str]:
    """The dests of the run options `words` (the command's, after its name) give: parsed with every default
    suppressed, so that only what was written is there. What the full parse refuses, it says."""
    parser = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    options.add_options(
        lambda flag, **keywords: parser.add_argument(flag, **{**keywords, "default": argparse.SUPPRESS}), spec
    )
    try:
        named, _ = parser.parse_known_args(words)
    except argparse.ArgumentError:
        return set()
    return set(vars(named))


# --- showing it (apiconform config) ------------------------------------------------------------------


def shown(
    file: ConfigFile | None,
    target: str | None,
    values: Mapping[str, Any],
    given: set[str],
    found: Mapping[str, Setting],
) -> Iterator[str]:
    """The effective settings of one run, one `key = value  # origin` line each, secrets masked: a secret is
    shown as the reference the file wrote, or as <masked>."""
    yield (
        f"# target {target}"
        if target
        else "# without --target: the top level of the file"
        if file
        else "# no config file"
    )
    for key, (flag, _) in option_keys().items():
        dest = options.dest(flag)
        value = values.get(dest)
        origin = "command line" if dest in given else found[dest].origin if dest in found else "default"
        if flag in options.SECRET_OPTIONS and value:
            written = found[dest].written if dest in found and dest not in given else None
            text = f"{json.dumps(written)} (set; masked)" if written is not None else "<masked>"
        else:
            text = json.dumps(value)
        yield f"{key} = {text}  # {origin}"
