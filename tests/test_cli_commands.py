"""The command table: sorted, and every entry a click command of that name."""

from __future__ import annotations

import click

from ecore_xl.cli import COMMANDS, cli


def test_commands_are_sorted_and_each_resolves() -> None:
    assert list(COMMANDS) == sorted(COMMANDS)
    ctx = click.Context(cli)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert isinstance(command, click.Command) and command.name == name


def _all_commands() -> list[list[str]]:
    ctx = click.Context(cli)
    out = []
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        out.append([name])
        if isinstance(command, click.Group):
            out.extend([name, sub] for sub in command.commands)
    return out


def test_every_command_help_shows_an_example_that_names_itself() -> None:
    from click.testing import CliRunner

    runner = CliRunner()
    for words in _all_commands():
        result = runner.invoke(cli, [*words, "--help"])
        assert result.exit_code == 0, words
        text = result.output
        assert "Example" in text, f"ecore-xl {' '.join(words)} --help has no example"
        examples = text[text.index("Example") :]
        assert f"ecore-xl {' '.join(words)}" in examples, words
