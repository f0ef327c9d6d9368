"""`apiconform completion bash|zsh|fish`: the scripts list every command, option and choice of the command
line as built, complete files where an argument names one, and carry what a spec declares only as data.

Bash is run for real (the completion function called as bash calls it, with COMP_WORDS and COMP_CWORD);
zsh's function is run with its completion builtins stood in for (they work only inside zsh's line
editor), and fish answers `complete --do-complete`. Each shell's test is skipped where it is not installed.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from apiconform import cli, completion, contract
from apiconform.completion import SHELLS
from tests.bash_completion import bash_completions

# A spec that declares, as data, what would be shell code if a script took it for code: its API's name
# and a path parameter's name (shown in the help of the shorthand that parameter declares); and a
# shorthand the x-apiconform schema refuses, which never becomes an option at all.
HOSTILE = "x';touch pw;'$(touch pw)`touch pw`\"$HOME\\"
HOSTILE_SPEC = f"""
openapi: 3.1.0
info: {{title: hostile, version: '1'}}
paths: {{}}
x-apiconform:
  api: {json.dumps(HOSTILE)}
  path-parameters:
    {json.dumps(HOSTILE)}: evil-id
    other: "x;touch pw"
"""


def _scripts(parser: argparse.ArgumentParser) -> dict[str, str]:
    return {shell: completion.script(shell, parser) for shell in SHELLS}


@pytest.fixture(scope="module")
def scripts() -> dict[str, str]:
    return _scripts(cli.build_parser())


@pytest.fixture
def hostile_scripts(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    specs = tmp_path_factory.mktemp("hostile-specs")
    (specs / "evil").mkdir()
    (specs / "evil" / "evil.openapi.yaml").write_text(HOSTILE_SPEC, encoding="utf-8")
    monkeypatch.setenv("APICONFORM_SPECS", str(specs))
    assert contract.api_names() == (HOSTILE,)
    return _scripts(cli.build_parser())


def _options(command: str) -> set[str]:
    """Every option string of `command`, from the parser built for that command alone (as it runs)."""
    (commands,) = [a for a in cli.build_parser(command)._actions if isinstance(a, argparse._SubParsersAction)]
    return {flag for action in commands.choices[command]._actions for flag in action.option_strings}


def _flags_of(command: str, script: str) -> list[str]:
    """The `flags` the bash or zsh script's data lists for `command`."""
    (listed,) = re.findall(rf"^    '{command}'\) flags=\((.*)\) ;;$", script, re.MULTILINE)
    return shlex.split(listed)


def test_the_command_prints_the_script_and_refuses_another_shell(
    scripts: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    for shell in SHELLS:
        assert cli.main(["completion", shell]) == 0
        assert capsys.readouterr().out == scripts[shell]
    with pytest.raises(SystemExit) as stopped:
        cli.main(["completion", "tcsh"])
    assert stopped.value.code == 2
    assert "invalid choice: 'tcsh'" in capsys.readouterr().err


def test_every_command_and_every_option_of_each_is_in_every_script(scripts: dict[str, str]) -> None:
    assert "run" in cli.COMMANDS and "completion" in cli.COMMANDS
    run_options = _options("run")
    assert {"--api", "--spec", "--waivers", "--report-dir", "--color", "--enterprise-id"} <= run_options
    for command in cli.COMMANDS:
        bash_flags, zsh_flags = (_flags_of(command, scripts[shell]) for shell in ("bash", "zsh"))
        assert set(bash_flags) == _options(command), command
        assert {entry.split(":", 1)[0] for entry in zsh_flags} == _options(command), command
        for flag in _options(command):
            fish_flag = f"--long-option '{flag[2:]}'" if flag.startswith("--") else f"--short-option '{flag[1:]}'"
            fish_condition = f"--condition '__fish_seen_subcommand_from {command}'"
            assert any(fish_condition in line and fish_flag in line for line in scripts["fish"].splitlines()), flag
        assert f"--arguments '{command}'" in scripts["fish"]
        assert f"'{command}:" in scripts["zsh"]


def test_choices_and_what_names_a_file_or_a_folder(scripts: dict[str, str]) -> None:
    apis = " ".join(f"'{name}'" for name in (*contract.api_names(), "all"))
    bash = scripts["bash"]
    assert f"'run --api') kind=choices; values=({apis}) ;;" in bash
    assert "'report --format') kind=choices; values=('html' 'md' 'junit') ;;" in bash
    assert "'run --color') kind=choices; values=('auto' 'always' 'never') ;;" in bash
    for option in ("--spec", "--waivers", "--token-file", "--ca-bundle"):
        assert f"'run {option}') kind=file ;;" in bash, option
    assert "'run --report-dir') kind=dir ;;" in bash
    assert "'report #1') kind=file ;;" in bash and "'diff #2') kind=file ;;" in bash
    # A value that names no file is completed with nothing, not with files.
    assert "'run --seed') kind=text ;;" in bash and "'run --base-url') kind=text ;;" in bash
    assert "printf '%s\\n' 'html' 'md' 'junit'" in scripts["fish"]


def test_bash_completes_commands_options_choices_and_files(scripts: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "spec.yaml").touch()
    (tmp_path / "specs-folder").mkdir()
    apis = {*contract.api_names(), "all"}
    expected: list[tuple[list[str], set[str]]] = [
        (["apiconform", "r"], {"report", "run"}),
        (["apiconform", "-"], {"-h", "--help", "--version"}),
        (
            ["apiconform", "run", "--ap"],
            {"--api", "--api-key", "--api-key-file", "--api-key-header", "--api-key-query"},
        ),
        (["apiconform", "run", "--shar"], {"--shard"}),
        (["apiconform", "run", "--api", ""], apis),
        (["apiconform", "run", "--api", "=", "bitgo-o"], {"bitgo-oes"}),  # bash splits --api=bitgo-o at `=`
        (["apiconform", "run", "--api=brm"], {"--api=brm-adjust-balance"}),  # ... unless `=` is no word break
        (["apiconform", "report", "--format", ""], {"html", "md", "junit"}),
        (["apiconform", "run", "--color", "a"], {"auto", "always"}),
        (["apiconform", "run", "-q", "--max-time", "5", "--fail"], {"--fail-fast"}),
        (["apiconform", "run", "--seed", ""], set()),
        (["apiconform", "run", "--spec", "sp"], {"spec.yaml", "specs-folder"}),
        (["apiconform", "run", "--report-dir", "sp"], {"specs-folder"}),
        (["apiconform", "report", "--format", "md", "sp"], {"spec.yaml", "specs-folder"}),
        (["apiconform", "completion", ""], set(SHELLS)),
        (["apiconform", "no-such-command", ""], set()),
    ]
    answers = bash_completions(scripts["bash"], [line for line, _ in expected], tmp_path)
    assert answers == [answer for _, answer in expected]


def test_bash_script_carries_a_hostile_spec_as_data_only(hostile_scripts: dict[str, str], tmp_path: Path) -> None:
    """The hostile API name cannot be completed (no such spec loads; and a completion is put on the
    command line as it stands), the hostile shorthand is no option, the valid one is; nothing runs."""
    answers = bash_completions(
        hostile_scripts["bash"],
        [["apiconform", "run", "--api", ""], ["apiconform", "run", "--evil"], ["apiconform", "run", "--x"]],
        tmp_path,
    )
    assert answers == [{"all"}, {"--evil-id"}, set()]
    assert not (tmp_path / "pw").exists()
    for script in hostile_scripts.values():
        assert "x;touch pw" not in script
    # zsh and fish show the shorthand's help, which names the hostile parameter: single-quoted.
    assert "'\\''" in hostile_scripts["zsh"] and "\\'" in hostile_scripts["fish"]


# Words a shell would take for code or change unquoted (zsh expands a bare `=x` and `~`).
QUOTED = (HOSTILE, "it's", "\\'", "\\\\", "'", "=x", "~", "(echo x)", "$HOME", "a\nb", "")


def _printed(shell: list[str], quote: Callable[[str], str], cwd: Path) -> list[str]:
    """Each of QUOTED as `shell` prints it in `cwd`, given the word as `quote` writes it into a script
    (and nothing it says was run: no file `pw` made)."""
    printing = "".join(f"printf '%s@@' {quote(word)}\n" for word in QUOTED)
    done = subprocess.run([*shell, printing], cwd=cwd, capture_output=True, text=True, timeout=30, check=True)
    assert not (cwd / "pw").exists()
    return done.stdout.split("@@")[:-1]


def test_a_quoted_word_is_that_word_again_in_bash(tmp_path: Path) -> None:
    assert _printed(["bash", "--norc", "--noprofile", "-c"], completion._sh_quote, tmp_path) == list(QUOTED)


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_a_quoted_word_is_that_word_again_in_zsh(tmp_path: Path) -> None:
    assert _printed(["zsh", "-f", "-c"], completion._sh_quote, tmp_path) == list(QUOTED)


_ZSH_DRIVER = r"""
compdef() { print -r -- "compdef $*"; }
source ./completion.zsh
# zsh's completion builtins, which work only inside its line editor, stood in for: each prints what it
# would offer (every entry: zsh itself keeps those that match the word being completed).
_describe() { print -rl -- "${(@P)${@[-1]}}"; }
compadd() { [[ $1 == -a ]] && print -rl -- "${(@P)2}"; }
_files() { print -r -- "<files $*>"; }
compset() { :; }
complete_line() { words=("$@"); CURRENT=$#; _apiconform; print -r -- @@; }
"""


def _zsh_completions(script: str, lines: Sequence[Sequence[str]], cwd: Path) -> tuple[str, list[list[str]]]:
    """What zsh's completion function offers for each command line: `word:description` entries (the word's
    colons escaped) or words; and the first line sourcing the script printed."""
    (cwd / "completion.zsh").write_text(script, encoding="utf-8")
    calls = "".join(f"complete_line {shlex.join(line)}\n" for line in lines)
    done = subprocess.run(
        ["zsh", "-f", "-c", _ZSH_DRIVER + calls], cwd=cwd, capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0 and not done.stderr, done
    first, *answers, rest = done.stdout.split("@@\n")
    head, _, first = first.partition("\n")
    assert rest == "", done.stdout
    return head, [answer.splitlines() for answer in (first, *answers)]


def _words(answers: list[list[str]], separator: str) -> list[set[str]]:
    return [{entry.split(separator, 1)[0] for entry in answer} for answer in answers]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_completes_commands_options_choices_and_files(scripts: dict[str, str], tmp_path: Path) -> None:
    expected: list[tuple[list[str], set[str]]] = [
        (["apiconform", ""], set(cli.COMMANDS)),
        (["apiconform", "-"], {"-h", "--help", "--version"}),
        (["apiconform", "run", "--ap"], _options("run")),
        (["apiconform", "run", "--api", ""], {*contract.api_names(), "all"}),
        (["apiconform", "run", "--api=b"], {*contract.api_names(), "all"}),
        (["apiconform", "report", "--format", ""], {"html", "md", "junit"}),
        (["apiconform", "run", "--spec", ""], {"<files >"}),
        (["apiconform", "run", "--report-dir", ""], {"<files -/>"}),
        (["apiconform", "diff", "old.json", ""], {"<files >"}),
        (["apiconform", "run", "--seed", ""], set()),
    ]
    head, answers = _zsh_completions(scripts["zsh"], [line for line, _ in expected], tmp_path)
    assert head == "compdef _apiconform apiconform"
    assert _words(answers, ":") == [answer for _, answer in expected]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_script_carries_a_hostile_spec_as_data_only(hostile_scripts: dict[str, str], tmp_path: Path) -> None:
    _, (evil, apis) = _zsh_completions(
        hostile_scripts["zsh"], [["apiconform", "run", "--evil"], ["apiconform", "run", "--api", ""]], tmp_path
    )
    # Every run option is offered (zsh keeps those that match); the shorthand with its help, which names
    # the hostile parameter as it is.
    assert f"--evil-id:the same as --path-param {HOSTILE}=VALUE" in evil
    assert apis == ["all"]
    assert not (tmp_path / "pw").exists()


def _fish_completions(script: str, lines: Sequence[str], cwd: Path) -> list[list[str]]:
    """What fish completes each command line with: `word<TAB>description` entries, or words."""
    (cwd / "completion.fish").write_text(script, encoding="utf-8")
    calls = "".join(f"complete --do-complete {completion._fish_quote(line)}; echo @@\n" for line in lines)
    done = subprocess.run(
        ["fish", "--no-config", "-c", "source ./completion.fish\n" + calls],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0 and not done.stderr, done
    *answers, rest = done.stdout.split("@@\n")
    assert rest == "", done.stdout
    return [answer.splitlines() for answer in answers]


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completes_commands_options_choices_and_files(scripts: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "spec.yaml").touch()
    (tmp_path / "specs-folder").mkdir()
    expected: list[tuple[str, set[str]]] = [
        ("apiconform r", {"report", "run"}),
        ("apiconform run --ap", {"--api"}),
        ("apiconform run --api ", {*contract.api_names(), "all"}),
        ("apiconform run --api=brm", {"--api=brm-adjust-balance"}),
        ("apiconform report --format ", {"html", "md", "junit"}),
        ("apiconform run --spec sp", {"spec.yaml", "specs-folder/"}),
        ("apiconform run --report-dir sp", {"specs-folder/"}),
        ("apiconform completion ", set(SHELLS)),
        ("apiconform run --seed ", set()),
    ]
    answers = _fish_completions(scripts["fish"], [line for line, _ in expected], tmp_path)
    assert _words(answers, "\t") == [answer for _, answer in expected]


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_script_carries_a_hostile_spec_as_data_only(hostile_scripts: dict[str, str], tmp_path: Path) -> None:
    evil, apis = _fish_completions(
        hostile_scripts["fish"], ["apiconform run --evil", "apiconform run --api "], tmp_path
    )
    assert evil == [f"--evil-id\tthe same as --path-param {HOSTILE}=VALUE"]
    assert _words([apis], "\t") == [{"all"}]
    assert not (tmp_path / "pw").exists()


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_a_quoted_word_is_that_word_again_in_fish(tmp_path: Path) -> None:
    assert _printed(["fish", "--no-config", "-c"], completion._fish_quote, tmp_path) == list(QUOTED)
