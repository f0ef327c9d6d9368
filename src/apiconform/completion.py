"""Shell completion scripts (`apiconform completion bash|zsh|fish`), made from the command line's own parser.

The parser is walked when the script is asked for, so every command and option is completed, a spec's
path-parameter shorthands in the specs folder included, and the script never falls behind the code. A
script is a fixed body that reads data: each command's options, which of them take a value, and what
the value is (one of its `choices`, a file, a folder, or free text). The data is embedded as quoted
literals only; nothing the parser holds (an `--api` choice is the name a spec in the specs folder
declares, a shorthand's help names its spec's path parameters) is ever code to the shell, and no value
is handed to a shell construct that expands it (bash's `compgen -W`, fish's `complete -a` string).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

SHELLS = ("bash", "zsh", "fish")

# What a value is: "" none (a flag), free text, a file, a folder, or one of its choices.
Kind = Literal["", "text", "file", "dir", "choices"]

# A value's metavar (or an option's name) that says it is a folder, or a file or path.
_NAMES_DIR = re.compile(r"(?:^|[^A-Za-z])DIR(?:ECTORY)?S?$", re.IGNORECASE)
_NAMES_FILE = re.compile(r"(?:^|[^A-Za-z])(?:FILE|PATH)S?$|\.(?:json|ya?ml|toml|pem|crt|key)$", re.IGNORECASE)
# The words a script offers: ones a shell takes as they are, unquoted (a completion is put on the
# command line as it stands). Any other choice (a name with a space, a `$`, a quote) is left out: no
# spec whose API has such a name loads (its `api` must be lower-case letters, digits and hyphens).
_PLAIN_WORD = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")
# The command names, which the fish script's conditions name in code (they are apiconform's own).
_COMMAND_NAME = re.compile(r"[a-z][a-z0-9-]*")
# The prefix of every shell function a script defines; the completion function itself.
_FUNCTION = "_apiconform"
# A description shown next to a completion: the help up to its first aside, on one line, this long at most.
_DESCRIPTION_LENGTH = 80


@dataclass(frozen=True)
class Argument:
    """One option (`flags`) or positional argument (no flags) of a command, as a completion needs it."""

    flags: tuple[str, ...]
    description: str
    kind: Kind
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Command:
    name: str
    description: str
    options: tuple[Argument, ...]
    positionals: tuple[Argument, ...]


def script(shell: str, parser: argparse.ArgumentParser) -> str:
    """The completion script for `shell` of `parser` (the top-level parser, with every command declared)."""
    top = _arguments(parser)
    commands = tuple(_commands(parser))
    if shell == "bash":
        return _bash(top, commands)
    if shell == "zsh":
        return _zsh(top, commands)
    if shell == "fish":
        return _fish(top, commands)
    raise ValueError(f"no completion for the shell {shell!r} (one of {', '.join(SHELLS)})")


def _commands(parser: argparse.ArgumentParser) -> Iterator[Command]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            summaries = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, subparser in action.choices.items():
                if not _COMMAND_NAME.fullmatch(name):
                    raise ValueError(f"a command's name must be lower-case letters, digits and hyphens: {name!r}")
                options, positionals = _arguments(subparser)
                yield Command(name, _description(summaries.get(name, "")), options, positionals)


def _arguments(parser: argparse.ArgumentParser) -> tuple[tuple[Argument, ...], tuple[Argument, ...]]:
    """A parser's options and positional arguments (the commands themselves are not among them)."""
    options: list[Argument] = []
    positionals: list[Argument] = []
    for action in parser._actions:
        if action.help == argparse.SUPPRESS or isinstance(action, argparse._SubParsersAction):
            continue
        argument = Argument(
            tuple(action.option_strings),
            _description(action.help or ""),
            _kind(action),
            tuple(str(choice) for choice in action.choices or () if _PLAIN_WORD.fullmatch(str(choice))),
        )
        (options if action.option_strings else positionals).append(argument)
    return tuple(options), tuple(positionals)


def _kind(action: argparse.Action) -> Kind:
    if action.nargs == 0:
        return ""
    if action.choices:
        return "choices"
    names = [action.metavar] if isinstance(action.metavar, str) else []
    names += [flag for flag in action.option_strings if flag.startswith("--")] or [action.dest]
    if any(_NAMES_DIR.search(name) for name in names):
        return "dir"
    if any(_NAMES_FILE.search(name) for name in names):
        return "file"
    return "text"


def _description(help_text: str) -> str:
    """An argument's help up to its first aside (`;` or a parenthesis), on one line of printable characters."""
    text = " ".join(help_text.replace("%%", "%").split())
    text = re.split(r"; | \(", text, maxsplit=1)[0]
    text = "".join(character for character in text if character.isprintable())
    return text if len(text) <= _DESCRIPTION_LENGTH else text[: _DESCRIPTION_LENGTH - 3].rstrip() + "..."


def _sh_quote(word: str) -> str:
    """`word` as one single-quoted bash or zsh word, always quoted (zsh expands a bare `=word`)."""
    return "'" + word.replace("'", "'\\''") + "'"


def _fish_quote(word: str) -> str:
    """`word` as one single-quoted fish word (in which fish reads `\\'` and `\\\\`)."""
    return "'" + word.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _sh_array(words: Sequence[str]) -> str:
    return "(" + " ".join(map(_sh_quote, words)) + ")"


def _sh_data(top: tuple[tuple[Argument, ...], tuple[Argument, ...]], commands: Sequence[Command], zsh: bool) -> str:
    """The two data functions both bash and zsh scripts read (zsh's name each option with its description).

    `_apiconform_command NAME` sets `flags` (the options of command NAME, '' the top level), or returns 1
    for no such command; `_apiconform_value NAME WORD` sets `kind` and `values` for the option WORD of
    command NAME, or for its positional argument number N given as `#N` (the top level's first is the
    command). Both set their caller's locals."""

    def described(argument: Argument, flag: str) -> str:
        return flag.replace("\\", "\\\\").replace(":", "\\:") + ":" + argument.description if zsh else flag

    top_options, _ = top
    listed = [("", top_options), *((command.name, command.options) for command in commands)]
    command_cases = [
        f"    {_sh_quote(name)}) flags={_sh_array([described(o, flag) for o in options for flag in o.flags])} ;;"
        for name, options in listed
    ]
    names = [command.name for command in commands]
    value_cases = [f"    {_sh_quote(' #1')}) kind=choices; values={_sh_array(names)} ;;"]
    for command in commands:
        arguments = [(option.flags, option) for option in command.options]
        arguments += [((f"#{number}",), each) for number, each in enumerate(command.positionals, 1)]
        for flags, argument in arguments:
            if argument.kind:
                pattern = "|".join(_sh_quote(f"{command.name} {flag}") for flag in flags)
                values = f"; values={_sh_array(argument.choices)}" if argument.kind == "choices" else ""
                value_cases.append(f"    {pattern}) kind={argument.kind}{values} ;;")
    return (
        f"{_FUNCTION}_command() {{\n    case $1 in\n"
        + "\n".join(command_cases)
        + "\n    *) return 1 ;;\n    esac\n}\n\n"
        f"{_FUNCTION}_value() {{\n    kind=''; values=()\n    case \"$1 $2\" in\n"
        + "\n".join(value_cases)
        + "\n    esac\n}\n\n"
    )


_BASH = r"""# bash completion for apiconform, made by `apiconform completion bash` from the installed command line.
# Install it: apiconform completion bash > ~/.local/share/bash-completion/completions/apiconform
# (or in ~/.bashrc: eval "$(apiconform completion bash)"); make it again after an upgrade or a new spec.

@DATA@
@F@_complete_value() {
    # The values of kind $1 that start with $2 (after the prefix $3, the `--option=` of `--option=value`).
    local word
    case $1 in
    choices)
        for word in "${values[@]}"; do
            [[ $word == "$2"* ]] && COMPREPLY+=("$3$word")
        done ;;
    file|dir)
        compopt -o filenames 2>/dev/null
        while IFS= read -r word; do
            COMPREPLY+=("$3$word")
        done < <(if [[ $1 == dir ]]; then compgen -d -- "$2"; else compgen -f -- "$2"; fi) ;;
    esac
}

@F@_complete_flags() {
    local flag
    for flag in "${flags[@]}"; do
        [[ $flag == "$1"* ]] && COMPREPLY+=("$flag")
    done
}

@F@() {
    local cur=${COMP_WORDS[COMP_CWORD]} command='' pending='' word kind
    local -a flags=() values=()
    local -i i=1 positional=0
    COMPREPLY=()
    # The command: the first word that is not an option (the top level's options take no value).
    while (( i < COMP_CWORD )); do
        word=${COMP_WORDS[i]}
        (( i++ ))
        if [[ $word != -* ]]; then
            command=$word
            break
        fi
    done
    @F@_command "$command" || return 0
    # The words after it: an option waiting for its value, and how many positional arguments came.
    # Bash splits `--option=value` at the `=` (COMP_WORDBREAKS), giving the `=` a word of its own.
    while (( i < COMP_CWORD )); do
        word=${COMP_WORDS[i]}
        (( i++ ))
        if [[ $word == = && -n $pending ]]; then
            continue
        elif [[ -n $pending ]]; then
            pending=''
        elif [[ $word == -* && $word != *=* ]]; then
            @F@_value "$command" "$word"
            [[ -n $kind ]] && pending=$word
        elif [[ $word != -* ]]; then
            (( positional++ ))
        fi
    done
    if [[ $cur == = && -n $pending ]]; then
        cur=''
    fi
    if [[ -n $pending ]]; then
        @F@_value "$command" "$pending"
        @F@_complete_value "$kind" "$cur" ''
    elif [[ $cur == --*=* ]]; then
        @F@_value "$command" "${cur%%=*}"
        @F@_complete_value "$kind" "${cur#*=}" "${cur%%=*}="
    elif [[ $cur == -* ]]; then
        @F@_complete_flags "$cur"
    else
        @F@_value "$command" "#$(( positional + 1 ))"
        if [[ $kind == text ]]; then
            return 0
        elif [[ -n $kind ]]; then
            @F@_complete_value "$kind" "$cur" ''
        else
            @F@_complete_flags "$cur"
        fi
    fi
}

complete -F @F@ apiconform
"""


def _bash(top: tuple[tuple[Argument, ...], tuple[Argument, ...]], commands: Sequence[Command]) -> str:
    # The data goes in last, so that nothing in it is read as a placeholder.
    return _BASH.replace("@F@", _FUNCTION).replace("@DATA@\n", _sh_data(top, commands, zsh=False))


_ZSH = r"""#compdef apiconform
# zsh completion for apiconform, made by `apiconform completion zsh` from the installed command line.
# Install it: apiconform completion zsh > "${fpath[1]}/@F@" (a folder in $fpath, before compinit runs),
# or in ~/.zshrc after compinit: eval "$(apiconform completion zsh)"; make it again after an upgrade or a new spec.

@DATA@
@F@_complete_value() {
    case $1 in
    choices) compadd -a values ;;
    file) _files ;;
    dir) _files -/ ;;
    esac
}

@F@() {
    emulate -L zsh
    local cur=${words[CURRENT]} command='' pending='' word kind option
    local -a flags values described
    local -i i=2 positional=0
    # The command: the first word that is not an option (the top level's options take no value).
    while (( i < CURRENT )); do
        word=${words[i]}
        (( i++ ))
        if [[ $word != -* ]]; then
            command=$word
            break
        fi
    done
    @F@_command "$command" || return 1
    # The words after it: an option waiting for its value, and how many positional arguments came.
    while (( i < CURRENT )); do
        word=${words[i]}
        (( i++ ))
        if [[ -n $pending ]]; then
            pending=''
        elif [[ $word == -* && $word != *=* ]]; then
            @F@_value "$command" "$word"
            [[ -n $kind ]] && pending=$word
        elif [[ $word != -* ]]; then
            (( positional++ ))
        fi
    done
    if [[ -n $pending ]]; then
        @F@_value "$command" "$pending"
        @F@_complete_value "$kind"
    elif [[ $cur == --*=* ]]; then
        option=${cur%%=*}
        compset -P '*='
        @F@_value "$command" "$option"
        @F@_complete_value "$kind"
    elif [[ $cur == -* ]]; then
        _describe -t options option flags
    elif [[ -z $command ]]; then
        # The commands, with the summary each has in `apiconform --help`.
        @F@_commands
        _describe -t commands command described
    else
        @F@_value "$command" "#$(( positional + 1 ))"
        if [[ $kind == text ]]; then
            return 1
        elif [[ -n $kind ]]; then
            @F@_complete_value "$kind"
        else
            _describe -t options option flags
        fi
    fi
}

if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then
    @F@ "$@"
else
    compdef @F@ apiconform
fi
"""


def _zsh(top: tuple[tuple[Argument, ...], tuple[Argument, ...]], commands: Sequence[Command]) -> str:
    described = [f"{command.name}:{command.description}" for command in commands]
    listing = f"{_FUNCTION}_commands() {{\n    described={_sh_array(described)}\n}}\n\n"
    return _ZSH.replace("@F@", _FUNCTION).replace("@DATA@\n", _sh_data(top, commands, zsh=True) + "\n" + listing)


_FISH_HEAD = """# fish completion for apiconform, made by `apiconform completion fish` from the installed command line.
# Install it: apiconform completion fish > ~/.config/fish/completions/apiconform.fish
# (make it again after an upgrade or a new spec).

complete --command apiconform --erase
# Files only where an argument names one.
complete --command apiconform --no-files
"""


def _fish(top: tuple[tuple[Argument, ...], tuple[Argument, ...]], commands: Sequence[Command]) -> str:
    top_options, _ = top
    choice_lists: list[tuple[str, ...]] = []
    lines = [_FISH_HEAD]

    def complete(condition: str, argument: Argument, *, words: str = "") -> str:
        parts = [f"complete --command apiconform --condition {_fish_quote(condition)}"]
        for flag in argument.flags:
            if flag.startswith("--"):
                parts.append(f"--long-option {_fish_quote(flag[2:])}")
            elif len(flag) == 2:
                parts.append(f"--short-option {_fish_quote(flag[1:])}")
            else:
                parts.append(f"--old-option {_fish_quote(flag[1:])}")
        if argument.kind == "choices":
            # The choices are printed by a function (its output is taken as it is), never written into
            # the `--arguments` string, which fish expands.
            choice_lists.append(argument.choices)
            parts.append(f"--exclusive --arguments {_fish_quote(f'({_FUNCTION}_choices {len(choice_lists)})')}")
        elif argument.kind == "file":
            parts.append("--require-parameter --force-files")
        elif argument.kind == "dir":
            parts.append("--exclusive --arguments '(__fish_complete_directories)'")
        elif argument.kind == "text":
            parts.append("--exclusive")
        if words:
            parts.append(f"--arguments {_fish_quote(words)}")
        if argument.description:
            parts.append(f"--description {_fish_quote(argument.description)}")
        return " ".join(parts)

    for option in top_options:
        lines.append(complete("__fish_use_subcommand", option))
    for each in commands:
        lines.append(complete("__fish_use_subcommand", Argument((), each.description, ""), words=each.name))
    for each in commands:
        condition = f"__fish_seen_subcommand_from {each.name}"
        lines.append("")
        lines.extend(complete(condition, option) for option in each.options)
        # A positional argument is completed wherever it could stand (fish counts no positions).
        lines.extend(
            complete(condition, Argument((), positional.description, positional.kind, positional.choices))
            for positional in each.positionals
            if positional.kind in ("choices", "file", "dir")
        )
    cases = "".join(
        f"    case {number}\n        printf '%s\\n' {' '.join(map(_fish_quote, choices))}\n"
        for number, choices in enumerate(choice_lists, 1)
    )
    lines.append(f"\nfunction {_FUNCTION}_choices\n    switch $argv[1]\n{cases}    end\nend\n")
    return "\n".join(lines)
