"""The config file (configfile.py): found, checked and applied under the command line; secrets only by
reference and never shown; targets chosen and shared out across a CI matrix."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from apiconform import configfile
from apiconform.cli import build_parser, main
from apiconform.engine import options
from apiconform.targets import passed_on

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_SCHEMA = ROOT / "docs" / "apiconform.schema.json"
CANARY = "canary-secret-4f9d2a7c1e"

CONFIG = """\
seed = 3
rate-limit = 50
waivers = "conformance/waivers.yaml"

[targets.staging]
api = "bitgo-oes"
base-url = "https://staging.example.test/api/network/v1"
path-param = {enterpriseId = "${ENTERPRISE}"}
token = "${STAGING_TOKEN}"
seed = 4

[targets.production]
api = "brm-adjust-balance"
base-url = ["https://brm.example.test/brm/prepayBalanceManagement/v4"]
max-requests = 500
"""


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "apiconform.toml"
    path.write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("STAGING_TOKEN", CANARY)
    monkeypatch.setenv("ENTERPRISE", "ent-77")
    return path


def effective(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, tuple[str, str]]:
    """`apiconform config ARGV`'s lines as {key: (value, origin)}."""
    assert main(["config", *argv]) == 0
    shown = {}
    for line in capsys.readouterr().out.splitlines():
        matched = re.fullmatch(r"([a-z-]+) = (.*) # (.*)", line)
        if matched:
            shown[matched[1]] = (matched[2].strip(), matched[3])
    return shown


def test_the_shipped_schema_is_the_one_made_from_the_option_table() -> None:
    # docs/apiconform.schema.json is what editors read; `apiconform config --schema` prints the same.
    made = configfile.schema()
    jsonschema.Draft202012Validator.check_schema(made)
    assert json.loads(SHIPPED_SCHEMA.read_text(encoding="utf-8")) == made, "run: apiconform config --schema"
    assert set(made["properties"]) - {"targets"} == {flag.lstrip("-") for flag, _ in options.run_options()[:1]} | {
        flag.lstrip("-") for flag, _ in options.RUN_OPTIONS
    }


def test_the_command_line_wins_over_the_target_which_wins_over_the_top_level(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = effective(capsys, "--config", str(config_file), "--target", "staging", "--rate-limit", "7")
    assert shown["seed"] == ("4", "target staging")
    assert shown["rate-limit"] == ("7.0", "command line")
    assert shown["max-examples"] == ("null", "default")
    assert shown["path-param"] == ('["enterpriseId=ent-77"]', "target staging")
    # A relative path is the file's folder's, wherever the command runs.
    assert shown["waivers"] == (json.dumps(str(config_file.parent / "conformance/waivers.yaml")), "file")


def test_a_secret_is_shown_as_its_reference_never_its_value(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = effective(capsys, "--config", str(config_file), "--target", "staging")
    assert shown["token"] == ('"${STAGING_TOKEN}" (set; masked)', "target staging")
    assert main(["config", "--config", str(config_file), "--target", "all", "--token", CANARY + "x"]) == 0
    out = capsys.readouterr().out
    assert CANARY not in out and "<masked>" in out


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('token = "abcdefgh12345678"', "a secret is not written in a config file"),
        ('token = "Bearer ${TOKEN}"', "a secret is not written in a config file"),
        ('header = {X-Api-Key = "abcdefgh12345678"}', "a secret is not written in a config file"),
        ('api-key = "abcdefgh12345678"', "a secret is not written in a config file"),
        ('basic-password = "abcdefgh12345678"', "a secret is not written in a config file"),
        # In a target the run does not take, too.
        ('[targets.other]\ntoken = "abcdefgh12345678"', "[targets.other]: token: a secret is not written"),
        ('seed = "three"', "seed"),
        ("colour = true", "colour"),
        ("[targets.'../x']\napi = 'bitgo-oes'", "targets"),
        ('api = "nope"', "api"),
        ("seed = [", "not TOML"),
        ('spec = "${UNSET_VARIABLE_X}"', "${UNSET_VARIABLE_X} is not set"),
    ],
)
def test_a_file_that_cannot_be_used_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, said: str
) -> None:
    path = tmp_path / "apiconform.toml"
    path.write_text(text + "\n", encoding="utf-8")
    assert main(["run", "--config", str(path)]) == 2
    error = capsys.readouterr().err
    assert said in error and error.count("\n") == 1
    assert "abcdefgh12345678" not in error


def test_references_are_substituted_and_dollar_dollar_is_a_dollar(tmp_path: Path) -> None:
    path = tmp_path / "apiconform.toml"
    path.write_text('base-url = "https://${HOST}/v1?a=$$b"\n', encoding="utf-8")
    found = configfile.settings(configfile.load(path), None, {"HOST": "api.example.test"})
    assert found["base_url"].value == ["https://api.example.test/v1?a=$b"]


def test_secret_options_take_a_reference_and_name_value_options_a_table(tmp_path: Path) -> None:
    path = tmp_path / "apiconform.toml"
    path.write_text('header = {X-Api-Key = "${KEY}"}\nheader-file = {X-Other = "secrets/other"}\n', encoding="utf-8")
    found = configfile.settings(configfile.load(path), None, {"KEY": CANARY})
    assert found["header"].value == [f"X-Api-Key={CANARY}"]
    assert found["header_file"].value == [f"X-Other={tmp_path / 'secrets/other'}"]
    assert {flag.lstrip("-") for flag in options.SECRET_OPTIONS} <= set(configfile.schema()["properties"])


def test_the_file_is_found_in_the_working_folder_or_in_pyproject(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert configfile.find(None, tmp_path) is None
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert configfile.find(None, tmp_path) is None
    (tmp_path / "pyproject.toml").write_text("[tool.apiconform]\nseed = 8\n", encoding="utf-8")
    assert effective(capsys)["seed"] == ("8", "file")
    (tmp_path / "apiconform.toml").write_text("seed = 9\n", encoding="utf-8")
    assert effective(capsys)["seed"] == ("9", "file")


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_the_shards_together_run_every_target_once(count: int) -> None:
    file = configfile.ConfigFile(Path("apiconform.toml"), targets={name: {} for name in "abcde"})
    shards = [configfile.selected_targets(file, ["all"], (index, count)) for index in range(1, count + 1)]
    assert sorted(name for shard in shards for name in shard) == list("abcde")


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--target", "nowhere"], "--target nowhere: apiconform.toml has no such target (it has: staging, production)"),
        (["--target", "all", "--shard", "3/3"], "--shard 3/3: no target left"),
        (["--shard", "1/2"], "give --target all too"),
    ],
)
def test_choosing_targets_wrongly_is_one_line_and_exit_2(
    config_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str], said: str
) -> None:
    monkeypatch.chdir(config_file.parent)
    assert main(["run", *argv]) == 2
    error = capsys.readouterr().err
    assert said in error and error.count("\n") == 1


def test_a_bad_shard_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["run", "--target", "all", "--shard", "2/1"])
    assert exited.value.code == 2 and "K/N" in capsys.readouterr().err


def test_without_a_file_target_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--target", "staging"]) == 2
    assert "--target needs a config file" in capsys.readouterr().err


def test_each_target_is_checked_before_any_runs(
    config_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # production's base URL is fine, staging's waivers file does not exist: nothing starts.
    monkeypatch.chdir(config_file.parent)
    assert main(["run", "--target", "all"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("apiconform: error: target staging:") and "waivers" in error
    assert not (config_file.parent / "reports").exists()


def test_what_the_command_line_gave_reaches_each_target_as_it_was_written() -> None:
    argv = ["run", "--seed", "5", "--fail-fast", "--path-param", "a=1", "--path-param", "b=2", "--har"]
    args = build_parser("run").parse_args(argv)
    args.given = configfile.given_on_command_line(argv[1:])
    again = build_parser("run").parse_args(["run", *passed_on(args)])
    assert (again.seed, again.fail_fast, again.path_param, again.har) == (5, True, ["a=1", "b=2"], True)
    assert args.given == {"seed", "fail_fast", "path_param"}
