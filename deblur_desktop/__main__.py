"""Entry point of the desktop app (`deblur-studio`, `python -m deblur_desktop`,
and the PyInstaller target)."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from deblur_desktop.app import run_app

    return run_app(sys.argv if argv is None else argv)


if __name__ == "__main__":
    raise SystemExit(main())
