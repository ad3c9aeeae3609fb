"""`camrelay` with its stream hub held: uploads are accepted but the relay takes none of their
frames, as if it could never keep up. Run: python -m tests.support.held_relay serve ...

The back-pressure test's producer meets this relay: it must end up waiting on HTTP/2 flow
control while the server's memory stays where it was.
"""

from __future__ import annotations

import sys
from typing import Any

from camrelay.cli.main import main
from camrelay.server.core import streams

_open_hub = streams.StreamHub.__init__


def _held_hub(self: streams.StreamHub, *args: Any, **kwargs: Any) -> None:
    _open_hub(self, *args, **kwargs)
    self.taking.clear()


if __name__ == "__main__":
    streams.StreamHub.__init__ = _held_hub  # type: ignore[method-assign]
    sys.exit(main())
