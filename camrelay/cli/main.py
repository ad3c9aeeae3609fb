"""The `camrelay` command: serve, user, demo, push, pull, alarm, counter."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import alarm, counter, demo, pull, push, serve, users


def parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    root = argparse.ArgumentParser(prog="camrelay", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    for module in (serve, users, demo, push, pull, alarm, counter):
        module.add_parser(commands)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; its return value is the exit code."""
    args = parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
