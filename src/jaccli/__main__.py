"""``python -m jaccli``, and the console script's entry."""

import os
import signal


def _end_early(signum: int, frame: object) -> None:
    # Nothing has started yet: there is nothing to clean up, and nothing on stdout.
    os.write(2, b"jaccli: interrupted\n" if signum == signal.SIGINT else b"jaccli: terminated\n")
    os._exit(128 + signum)


# Until `main` installs its own handlers, a signal (while the command line's modules load) ends
# the run with the exit code it will have later, rather than a traceback or a bare kill.
signal.signal(signal.SIGTERM, _end_early)
if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
    signal.signal(signal.SIGINT, _end_early)

from ._cli import main  # noqa: E402  (after the handlers, which must be in place first)

if __name__ == "__main__":
    main()
