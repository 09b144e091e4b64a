"""``python -m jaccli``."""

from .cli import main

main()
