"""Issue 9's figures, each beside its target: connection churn and the deflate bomb, stalled
record reads and large bodies, and a login burst."""

from __future__ import annotations

from bench import hostile_auth, hostile_records, hostile_transport


def main() -> None:
    hostile_transport.main()
    hostile_records.main()
    hostile_auth.main()
