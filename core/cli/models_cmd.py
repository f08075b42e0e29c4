"""`deblur models`: list, inspect, add and remove models in the user's model library."""
from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("models", help="list the model library; add, inspect or remove models",
                       description="The model library (<user data dir>/models) holds trained and "
                       "imported models as safetensors with a JSON card; --model NAME finds them. "
                       "Published .pth files (NAFNet, FFTformer, Uformer...) need the "
                       "published-models extra (spandrel).")
    p.set_defaults(func=run, action="list")
    acts = p.add_subparsers(dest="action", metavar="ACTION")
    acts.add_parser("list", help="list bundled and library models (the default)")
    a = acts.add_parser("add", help="copy a model file or training run into the library")
    a.add_argument("path", type=Path, help="a .safetensors export, a checkpoint, a run folder or a published .pth")
    a.add_argument("--name", help="library name (default: from the file or run folder)")
    a.add_argument("--notes", default="", help="free text kept on the card")
    a.add_argument("--replace", action="store_true", help="overwrite a model of the same name")
    i = acts.add_parser("info", help="identify a model file (architecture, parameters) without adding it")
    i.add_argument("path", type=Path)
    r = acts.add_parser("remove", help="delete a model from the library")
    r.add_argument("name")


def run(args: argparse.Namespace) -> int:
    from core import model_library as lib  # late: loads torch; --help stays fast

    if args.action == "add":
        card = lib.add_model(args.path, args.name, replace=args.replace, notes=args.notes)
        print(f"Added {card}")
    elif args.action == "info":
        print(lib.identify(args.path))
    elif args.action == "remove":
        lib.remove_model(args.name)
        print(f"Removed {args.name} from {lib.library_dir()}")
    else:
        cards = lib.list_models()
        if not cards:
            print(f"No models yet. Library: {lib.library_dir()} (deblur models add PATH)")
            return 0
        w = max(len(c.name) for c in cards)
        print(f"{'name':<{w}}  {'architecture':<14} {'parameters':>12}  {'kind':<9} file")
        for c in cards:
            params = f"{c.parameters:,}" if c.parameters is not None else "?"
            print(f"{c.name:<{w}}  {c.architecture:<14} {params:>12}  {c.kind:<9} {c.file}")
        print(f"Library: {lib.library_dir()}")
    return 0
