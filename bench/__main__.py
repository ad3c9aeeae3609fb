"""Run the benchmark parts: `python -m bench [PART ...]` (default: all)."""

from __future__ import annotations

import sys

from bench import admin, alarm, cluster, core_api, counter, hostile, state, streams, web

PARTS = {
    "core": core_api.main,
    "streams": streams.main,
    "alarm": alarm.main,
    "counter": counter.main,
    "hostile": hostile.main,
    "admin": admin.main,
    "state": state.main,
    "web": web.main,
    "cluster": cluster.main,
}


def main(argv: list[str]) -> int:
    chosen = argv or list(PARTS)
    unknown = [name for name in chosen if name not in PARTS]
    if unknown:
        print(f"unknown part(s) {unknown}; choose from {list(PARTS)}")
        return 2
    for name in chosen:
        PARTS[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
