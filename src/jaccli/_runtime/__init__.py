"""Process-level concerns of a run: the standard streams, signals and the --timeout deadline,
supervised child processes and the ones that serve a run, JAX's compilation cache, and atomic
output files.

Other packages import these names from here; each resolves on first use, so that a command
imports the modules it uses only. Nothing here imports JAX.
"""

from typing import TYPE_CHECKING

from .lazy import lazy_package

if TYPE_CHECKING:
    from .cache import cache_directory as cache_directory
    from .cache import use_compilation_cache as use_compilation_cache
    from .channel import in_child as in_child
    from .channel import report_exit as report_exit
    from .collector import own_process as own_process
    from .collector import settle as settle
    from .distributed import announce_joined as announce_joined
    from .distributed import supervise_distributed as supervise_distributed
    from .distributed import worker_failed as worker_failed
    from .files import OutputFile as OutputFile
    from .files import atomic_write as atomic_write
    from .files import atomic_writer as atomic_writer
    from .files import output_file as output_file
    from .files import refuse_unwritable as refuse_unwritable
    from .files import remove_partial_files as remove_partial_files
    from .files import shown_path as shown_path
    from .jaxsetup import enable_float64 as enable_float64
    from .jaxsetup import float64_enabled as float64_enabled
    from .jaxsetup import platform_failure as platform_failure
    from .parent import end_supervisor as end_supervisor
    from .parent import supervise as supervise
    from .signals import Interrupted as Interrupted
    from .signals import Terminated as Terminated
    from .signals import deadline as deadline
    from .signals import terminate_on_sigterm as terminate_on_sigterm
    from .streams import ReaderGone as ReaderGone
    from .streams import silence_stdout as silence_stdout
    from .streams import stderr_is_terminal as stderr_is_terminal
    from .streams import stdin_problem as stdin_problem
    from .streams import stdout_columns as stdout_columns
    from .streams import stdout_is_terminal as stdout_is_terminal
    from .streams import write_stdout as write_stdout
    from .supervision import fork_server as fork_server

__getattr__, __dir__, __all__ = lazy_package(__name__, __file__)
