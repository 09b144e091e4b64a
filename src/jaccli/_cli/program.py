"""The program: ``main`` turns every `JaccliError` (and every usage error from the option
parser) into one stderr line and its exit code; ``run`` is the command line without error
handling. The commands come from the table in `commands`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Annotated

import typer

from ..errors import InternalError, JaccliError, ResourceError, UsageError, exception_text
from .commands import COMMANDS, Command, register
from .options import MAX_SECONDS


def _show_version(wanted: bool) -> None:
    if wanted:
        from importlib.metadata import version

        sys.stdout.write(f"jaccli {version('jaccli')}\n")
        raise typer.Exit()


def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="print the version and exit", is_eager=True, callback=_show_version
        ),
    ] = False,
) -> None:
    """Jacobians, derivatives and sensitivity analysis of your functions, with JAX."""


def application(commands: Sequence[Command]) -> typer.Typer:
    """The typer app of ``commands``, with the program's own options (``--version``)."""
    made = typer.Typer(
        name="jaccli",
        help="Jacobians, derivatives and sensitivity analysis of your functions, with JAX.",
        add_completion=False,
        no_args_is_help=True,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    made.callback()(_options)
    for command in commands:
        register(made, command)
    return made


app = application(COMMANDS)


def _wants_json_errors(argv: Sequence[str]) -> bool:
    for i, arg in enumerate(argv):
        if arg in ("--format", "-f") and i + 1 < len(argv) and argv[i + 1] == "json":
            return True
        if arg in ("--format=json", "-fjson"):
            return True
    return False


def _report(exc: BaseException, argv: Sequence[str], show_traceback: bool) -> None:
    from .. import _render as render

    if show_traceback:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    sys.stderr.write(render.error_text(exc, _wants_json_errors(argv)))
    sys.stderr.flush()


def _timed_out(seconds: float) -> ResourceError:
    return ResourceError(f"gave up after the --timeout of {seconds:g} s", hint="raise --timeout")


def _on_timeout(argv: Sequence[str], seconds: float) -> Callable[[], None]:
    def expire() -> None:
        from .. import _runtime as runtime

        runtime.remove_partial_files()
        _report(_timed_out(seconds), argv, False)

    return expire


def run(argv: Sequence[str]) -> int:
    """Run the command line without error handling; returns the exit code of a clean run."""
    from typer.main import get_command

    # Typer builds the options of every command an app holds before it parses: a command line
    # that starts with its command's name builds that command alone.
    named = [command for command in COMMANDS if argv and argv[0] == command.name]
    cli = get_command(application(named) if named else app)
    # Bare `jaccli` shows the help, as `jaccli --help` does (not as an error line).
    args = list(argv) or ["--help"]
    outcome = cli.main(args=args, prog_name="jaccli", standalone_mode=False)
    return outcome if isinstance(outcome, int) else 0


def _timeout_from(argv: Sequence[str]) -> float | None:
    for i, arg in enumerate(argv):
        value = (
            arg.split("=", 1)[1]
            if arg.startswith("--timeout=")
            else (argv[i + 1] if arg == "--timeout" and i + 1 < len(argv) else None)
        )
        if value is not None:
            try:
                # Out of range (NaN, inf, 1e10) is the option parser's to refuse, with the range.
                return float(value) if 0 < float(value) <= MAX_SECONDS else None
            except ValueError:
                return None
    return None


def _worth_a_child(argv: Sequence[str]) -> bool:
    """Whether the command line computes anything: help and the version do not, and they print
    to stdout themselves."""
    return bool(argv) and not {"-h", "--help", "--version"} & set(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """The console script: run, and turn every failure into its exit code and one stderr line.

    The console script runs the command in a child process (`runtime.supervise`): the parent
    writes its results to stdout, passes signals on, keeps the --timeout deadline and reports a
    child that crashed or was ended by the user's function.
    """
    from .. import _runtime as runtime

    console = argv is None  # the program itself, not a call from Python (tests, embedding)
    if console:
        runtime.own_process()
    argv = list(sys.argv[1:] if argv is None else argv)
    runtime.use_compilation_cache("--no-cache" not in argv)
    code = _outcome(argv, console and _worth_a_child(argv))
    runtime.end_supervisor(code)
    runtime.report_exit(code)
    sys.exit(code)


def _outcome(argv: list[str], supervised: bool) -> int:
    """The exit code of the command line, each failure reported on stderr."""
    from .. import _runtime as runtime

    show_traceback = "--traceback" in argv
    timeout = _timeout_from(argv)
    try:
        with runtime.terminate_on_sigterm():
            code = (
                runtime.supervise(timeout, lambda: _timed_out(timeout or 0)) if supervised else None
            )
            if code is not None:
                return code
            # A supervised child leaves the deadline to its parent.
            own = None if runtime.in_child() else timeout
            with runtime.deadline(own, _on_timeout(argv, timeout or 0)):
                return run(argv)
    except JaccliError as exc:
        _report(exc, argv, show_traceback)
        return exc.exit_code
    except (KeyboardInterrupt, runtime.Interrupted, runtime.Terminated) as exc:
        runtime.remove_partial_files()
        interrupted = not isinstance(exc, runtime.Terminated)
        if not runtime.in_child():  # a supervising parent says it
            sys.stderr.write("jaccli: interrupted\n" if interrupted else "jaccli: terminated\n")
        return 130 if interrupted else 143
    except BrokenPipeError:
        # The reader went away (`| head -1`): stop quietly, as Unix tools do.
        runtime.silence_stdout()
        return 141
    except SystemExit as exc:  # the exit status chosen by whatever raised it
        return exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    except BaseException as exc:  # an Exception, or one that pretends not to be
        if hasattr(exc, "exit_code") and hasattr(exc, "format_message"):
            # A usage error from the option parser (unknown option, missing value, ...).
            _report(UsageError(exc.format_message()), argv, False)
            return int(getattr(exc, "exit_code", 2)) or 2
        internal = InternalError(
            f"internal error: unexpected {type(exc).__name__}: {exception_text(exc)}",
            hint="this is a bug in jaccli, not in your function; rerun with --traceback and "
            "report it",
        )
        _report(internal, argv, show_traceback)
        return internal.exit_code
