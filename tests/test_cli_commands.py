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
