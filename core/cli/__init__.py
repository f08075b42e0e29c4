"""The `deblur` command line: one module per subcommand, listed explicitly below
(no discovery by file scan, so PyInstaller sees every import)."""
from __future__ import annotations

import argparse
import sys

from core import __version__
from core.cli.common import CliError
from core.cli import train_cmd, eval_cmd, synth_cmd, run_cmd, kernel_cmd, export_cmd, models_cmd, scan_cmd

COMMANDS = [train_cmd, run_cmd, eval_cmd, kernel_cmd, scan_cmd, synth_cmd, export_cmd, models_cmd]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="deblur", description="Deblur Studio from the command line: "
                                "train, deblur and evaluate motion-deblurring models.")
    p.add_argument("--version", action="version", version=f"deblur {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for mod in COMMANDS:
        mod.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("deblur: interrupted", file=sys.stderr)
        return 130
    except (CliError, ValueError, KeyError, OSError) as e:
        # Our errors (DataError, ConfigError, CheckpointError, ImageReadError) are
        # ValueErrors whose message names the file and the problem.
        print(f"deblur {args.command}: error: {e}", file=sys.stderr)
        return 2
