"""The `camrelay` command: the server, its users, keys and store, the demo, clients, workers.

Only the chosen subcommand's module is imported, so `camrelay serve` never loads OpenCV or numpy
(the workers' dependencies) and `camrelay --help` loads nothing heavy at all.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# command -> (module in camrelay.cli that registers it, one line of help)
COMMANDS = {
    "serve": ("serve", "run the relay server"),
    "user": ("users", "manage accounts and their users"),
    "key": ("keys", "manage device keys for cameras"),
    "migrate": ("migrate", "bring a store to this camrelay's schema"),
    "export": ("store_export", "write a whole store to stdout"),
    "import": ("store_import", "read an export from stdin into an empty store"),
    "demo": ("demo", "run the server with a demo account and camera"),
    "push": ("push", "stream a camera's frames to a relay"),
    "pull": ("pull", "read a device's live stream"),
    "alarm": ("alarm", "run the motion alarm worker on a camera"),
    "counter": ("counter", "run the people counter worker on a camera"),
}


def chosen_command(argv: Sequence[str]) -> str | None:
    """The subcommand named on the command line (the first word that is one), if any."""
    return next((word for word in argv if word in COMMANDS), None)


def parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The argument parser: the chosen subcommand in full, the others by name and help only."""
    root = argparse.ArgumentParser(prog="camrelay", description=__doc__.split("\n", 1)[0])
    commands = root.add_subparsers(dest="command", required=True)
    chosen = chosen_command(argv)
    for name, (module, text) in COMMANDS.items():
        if name == chosen:
            importlib.import_module(f"{__package__}.{module}").add_parser(commands)
        else:
            commands.add_parser(name, help=text)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; its return value is the exit code."""
    words = list(sys.argv[1:] if argv is None else argv)
    args = parser(words).parse_args(words)
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
