"""Installs the transport fixes only on the library versions they were written for.

Each fix reaches into private code of Hypercorn, h2, hyperframe or asyncio and names what it
replaces in REPLACES, a tuple of (owner, attribute name). On another version a replaced name may
be gone or mean something else, and a patch that quietly does nothing brings back the trap it
fixed (a dropped connection, unbounded memory). So the server refuses to start instead.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Iterable
from types import ModuleType

# The exact versions the fixes and their trap tests were written for (pinned in pyproject.toml).
WRITTEN_FOR = {
    "hypercorn": "0.18.0",
    "h2": "4.4.1",
    "hyperframe": "6.1.0",
    "hpack": "4.2.0",
    "priority": "2.0.0",
}
# In installation order: h2_stream_reset wraps the per-event loop of h2_late_data, and
# h2_inline_answers wraps h2_stream_reset's (and its stream creation); h2_round_robin wraps
# h2_windows' __init__; tcp_write_batch wraps the sends of tcp_peer_close.
FIXES = (
    "h2_late_data",
    "h2_stream_reset",
    "h2_inline_answers",
    "h2_windows",
    "h2_round_robin",
    "h2_backpressure",
    "h2_hot_path",
    "h2_fast_headers",
    "h2_send_queue",
    "h2_batched_writes",
    "h2_direct_body",
    "h2_content_length",
    "tcp_peer_close",
    "tcp_write_batch",
    "tcp_idle_timer",
    "date_header",
    "tls_shutdown",
    "ws_direct_send",
)
UPDATE_HINT = "install the pinned versions (pip install -e .) or update camrelay/server/transport"

_installed: set[str] = set()


class TransportMismatch(RuntimeError):
    """A transport fix does not fit the installed libraries: the server must not start."""


def check_versions() -> None:
    """TransportMismatch unless every library is the version the fixes were written for."""
    for package, wanted in WRITTEN_FOR.items():
        try:
            found = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found = "none"
        if found != wanted:
            raise TransportMismatch(
                f"camrelay's transport fixes are written for {package} {wanted}, "
                f"found {found}: {UPDATE_HINT}"
            )


def load(name: str) -> ModuleType:
    """A fix's module; TransportMismatch if it cannot load or a name it replaces is gone."""
    try:
        fix = importlib.import_module(f"{__package__}.{name}")
    except (ImportError, AttributeError) as exc:
        why = f"transport fix {name} does not load ({exc}): {UPDATE_HINT}"
        raise TransportMismatch(why) from exc
    for owner, attribute in fix.REPLACES:
        if not hasattr(owner, attribute):
            where = getattr(owner, "__qualname__", None) or owner.__name__
            raise TransportMismatch(
                f"transport fix {name} replaces {where}.{attribute}, which is gone: {UPDATE_HINT}"
            )
    return fix


def install(names: Iterable[str]) -> None:
    """Check, then install the named fixes, each once per process."""
    check_versions()
    fixes = [(name, load(name)) for name in names]  # every check passes before any patch
    for name, fix in fixes:
        if name not in _installed:
            fix.install()
            _installed.add(name)


def install_all() -> None:
    """Check and install every fix: TransportMismatch (never a silent no-op) on a mismatch."""
    install(FIXES)
