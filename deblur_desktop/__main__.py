"""Entry point of the desktop app (`deblur-studio`, `python -m deblur_desktop`,
and the PyInstaller target)."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv if argv is None else argv
    if "--self-test" in argv:  # the packaging smoke test: `DeblurStudio --self-test [--model FILE]`
        from deblur_desktop.self_test import run_self_test

        i = argv.index("--model") if "--model" in argv else -1
        return run_self_test(argv[i + 1] if 0 <= i < len(argv) - 1 else None)
    from deblur_desktop.app import run_app

    return run_app(argv)


if __name__ == "__main__":
    # A frozen app is its own Python: worker processes (DataLoader on Windows/macOS) start
    # this executable again, and freeze_support hands them over instead of opening a window.
    import multiprocessing

    multiprocessing.freeze_support()
    raise SystemExit(main())
