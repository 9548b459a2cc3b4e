"""The ``ecore-xl`` command line.

Commands are imported only when run, so ``ecore-xl --help`` stays fast. Exit codes: 0 ok,
1 API or authentication failure, 2 usage error (``EcoreError.exit_code``). A failure is one
``Error:`` line on stderr, its detail in ``cli.log`` in the log directory (:mod:`.logs`).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from ecore_xl import __version__
from ecore_xl.errors import EcoreError, local_file_error

__all__ = ["COMMANDS", "cli", "main"]

#: command name -> "module:attribute" of a click command; one line per command, sorted by name.
COMMANDS: dict[str, str] = {
    "addin": "ecore_xl.cli.addin_cmd:addin",
    "catalogue": "ecore_xl.cli.catalogue_cmd:catalogue",
    "configure": "ecore_xl.cli.configure_cmd:configure",
    "demo": "ecore_xl.cli.demo_cmd:demo",
    "doctor": "ecore_xl.cli.doctor:doctor",
    "fetch": "ecore_xl.cli.fetch_cmd:fetch",
    "mock": "ecore_xl.cli.mock_cmd:mock",
    "refresh": "ecore_xl.cli.refresh_cmd:refresh",
    "report": "ecore_xl.cli.report_cmd:report",
    "serve": "ecore_xl.cli.serve_cmd:serve",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attr)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        from ecore_xl.cli.logs import command_logging, log_failure

        with command_logging(verbose=bool(ctx.params.get("verbose"))):
            try:
                return super().invoke(ctx)
            except EcoreError as exc:
                log_failure(ctx.invoked_subcommand, exc)
                _fail(ctx, exc)
            except (click.exceptions.Exit, click.ClickException, click.Abort):
                raise
            except (OSError, MemoryError) as exc:  # a local file, the disk, memory: one line
                log_failure(ctx.invoked_subcommand, exc)
                _fail(ctx, local_file_error(exc, None, f"ecore-xl {ctx.invoked_subcommand} on"))
            except Exception as exc:
                log_failure(ctx.invoked_subcommand, exc)
                raise


def _fail(ctx: click.Context, exc: EcoreError) -> None:
    """The one ``Error:`` line (an EcoreError's message has its secrets blanked) and exit."""
    click.echo(f"Error: {' '.join(str(exc).split())}", err=True)
    ctx.exit(exc.exit_code)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ecore-xl")
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Also show progress (INFO) on stderr. The full log is always in cli.log in the log "
    "directory (ECORE_LOG_DIR).",
)
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """E&C eCore API (ePoint data) for Excel users: fetch, refresh, report, demo.

    \b
    Examples:
      ecore-xl demo                                    (everything on the built-in mock)
      ecore-xl configure --from-postman eCore.postman_environment.json
      ecore-xl fetch contracts --out contracts.xlsx
      ecore-xl report --month 2026-10 --out report-2026-10.xlsx
    """
    from ecore_xl.cli.logs import log_start

    log_start(ctx.invoked_subcommand)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="ecore-xl")
