"""Process-level concerns of a run: the standard streams, signals and the --timeout deadline,
supervised child processes, JAX's compilation cache, and atomic output files.

Other packages import these names from here; each resolves on first use, so that a command
imports the modules it uses only. Nothing here imports JAX.
"""

from .lazy import lazy_names

# name: the module (relative to this package) that defines it.
EXPORTS = {
    "Interrupted": "signals",
    "OutputFile": "files",
    "ReaderGone": "streams",
    "Terminated": "signals",
    "announce_joined": "distributed",
    "atomic_write": "files",
    "atomic_writer": "files",
    "cache_directory": "cache",
    "deadline": "signals",
    "enable_float64": "jaxsetup",
    "end_supervisor": "parent",
    "float64_enabled": "jaxsetup",
    "in_child": "channel",
    "output_file": "files",
    "own_process": "collector",
    "platform_failure": "jaxsetup",
    "refuse_unwritable": "files",
    "remove_partial_files": "files",
    "report_exit": "channel",
    "shown_path": "files",
    "settle": "collector",
    "silence_stdout": "streams",
    "stderr_is_terminal": "streams",
    "stdin_problem": "streams",
    "stdout_columns": "streams",
    "stdout_is_terminal": "streams",
    "supervise": "parent",
    "supervise_distributed": "distributed",
    "terminate_on_sigterm": "signals",
    "use_compilation_cache": "cache",
    "worker_failed": "distributed",
    "write_stdout": "streams",
}
__all__ = sorted(EXPORTS)
__getattr__, __dir__ = lazy_names(__name__, EXPORTS)
