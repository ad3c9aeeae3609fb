"""The settings' store opened for one of `camrelay migrate|export|import`; whatever stops the
command is one line on stderr and exit status 2, never a traceback."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable

from camrelay.protocol.errors import RelayError

from ..server.core.db import Database
from ..server.core.store_export import StoreChanged
from ..server.core.store_import import BadExport, NotEmpty
from ..server.core.store_url import StoreError, configured_url, in_data_dir, open_store, shown
from .serve import add_common, settings_from

Job = Callable[[Database, str], Awaitable[None]]


def add_store_command(
    commands: argparse._SubParsersAction,  # type: ignore[type-arg]
    name: str,
    text: str,
    run: Callable[[argparse.Namespace], int],
) -> None:
    """Register a command that takes --store (and --data, --config)."""
    parser = commands.add_parser(name, help=text, description=text)
    add_common(parser)
    parser.set_defaults(run=run)


def run_on_url(args: argparse.Namespace, command: str, job: Job, *, migrate: bool) -> int:
    """Open the store of the settings (migrated or as it is), run `job(store, url)`, close it."""
    settings = settings_from(args)
    url = configured_url(settings)

    async def main() -> None:
        db = await open_store(url, migrate=migrate, own_folder=in_data_dir(settings))
        try:
            await job(db, url)
        finally:
            await db.close()

    try:
        asyncio.run(main())
    except NotEmpty as exc:
        return _stop(command, f"the store at {shown(url)}: {exc}")
    except (StoreError, BadExport, StoreChanged) as exc:
        return _stop(command, str(exc))
    except RelayError as exc:
        return _stop(command, f"the store at {shown(url)}: {exc.detail or type(exc).__name__}")
    except BrokenPipeError:
        return _stop(command, "the output was closed before the end")
    return 0


def _stop(command: str, text: str) -> int:
    print(f"camrelay {command}: {text}", file=sys.stderr)
    return 2
