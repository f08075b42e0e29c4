"""`python -m core ...` is the `deblur` command (also what torchrun launches)."""
from core.cli import main

raise SystemExit(main())
