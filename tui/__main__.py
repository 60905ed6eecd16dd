"""`appdeck` / `python -m tui`: the CLI, or the TUI when no command is given."""

from __future__ import annotations

import sys


def main() -> None:
    """Console-script entry point."""
    from tui.cli import run

    sys.exit(run())


if __name__ == "__main__":
    main()
