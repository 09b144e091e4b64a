"""The command line: wiring only. The commands are records (`commands`), run through one
pipeline (`pipeline`), their results written by one output decision (`output`)."""

from .program import app as app
from .program import main as main
from .program import run as run
