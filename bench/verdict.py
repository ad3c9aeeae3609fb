"""One way to print a figure beside its target: `figure   (target …)  PASS|FAIL`."""

from __future__ import annotations


def judged(figure: str, target: str, met: bool) -> str:
    """The figure, its target and whether this run met it."""
    return f"  {figure}   (target {target})  {'PASS' if met else 'FAIL'}"
