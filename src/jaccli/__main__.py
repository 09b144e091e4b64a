"""``python -m jaccli``."""

from ._cli import main

if __name__ == "__main__":
    main()
