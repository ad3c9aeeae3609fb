"""Optimal one-to-one matching of tracks to detections, most pairs first, then least cost.

Greedy matching in order of cost fails two people walking in file when their tracks have
no velocity yet: the rear track takes the front person's new box, the nearest, and the
front track is left with nothing (the sample clip's two INs, analysed 0.3 s apart). An
optimal assignment pairs both. The gated pairs split into small groups of tracks and
detections that compete (usually one of each), and each group is solved exactly with the
Hungarian method on a square matrix where leaving a track or a detection alone costs
UNMATCHED, more than half the dearest pair: one more pair always beats a cheaper set.
No scipy: the groups are tiny and this is a few dozen lines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

# Every pair costs less than 2 (tracker.py): leaving both of them alone costs 2 * 2.
UNMATCHED = 2.0
_NEVER = 1e9  # a pair that may not be made


def assign(costs: Mapping[tuple[int, int], float]) -> list[tuple[int, int]]:
    """The (row, column) pairs, among those given a cost, of an assignment with the most
    pairs and, among those, the least total cost; sorted."""
    pairs: list[tuple[int, int]] = []
    for rows, columns in _groups(costs):
        pairs += _solve(rows, columns, costs)
    return sorted(pairs)


def _groups(costs: Mapping[tuple[int, int], float]) -> list[tuple[list[int], list[int]]]:
    """Connected groups of rows and columns linked by a cost, in a stable order."""
    parent: dict[tuple[str, int], tuple[str, int]] = {}

    def root(node: tuple[str, int]) -> tuple[str, int]:
        while parent.setdefault(node, node) != node:
            node = parent[node]
        return node

    for r, c in sorted(costs):
        a, b = root(("r", r)), root(("c", c))
        if a != b:
            parent[max(a, b)] = min(a, b)
    groups: dict[tuple[str, int], tuple[list[int], list[int]]] = {}
    for node in sorted(parent):
        rows, columns = groups.setdefault(root(node), ([], []))
        (rows if node[0] == "r" else columns).append(node[1])
    return list(groups.values())


def _solve(
    rows: list[int], columns: list[int], costs: Mapping[tuple[int, int], float]
) -> list[tuple[int, int]]:
    """One group: Hungarian method on (rows + columns) squared, with stand-ins."""
    n, m = len(rows), len(columns)
    size = n + m

    def cost(i: int, j: int) -> float:
        if i < n and j < m:
            return costs.get((rows[i], columns[j]), _NEVER)
        if i < n:  # row i alone: paired with its own stand-in column m + i
            return UNMATCHED if j - m == i else _NEVER
        if j < m:  # column j alone: paired with its own stand-in row n + j
            return UNMATCHED if i - n == j else _NEVER
        return 0.0  # two stand-ins

    match = _hungarian(size, cost)
    return [(rows[i], columns[j]) for i, j in enumerate(match) if i < n and j < m]


def _hungarian(size: int, cost: Callable[[int, int], float]) -> list[int]:
    """Column of each row in a least-cost perfect matching (e-maxx, potentials)."""
    u = [0.0] * (size + 1)
    v = [0.0] * (size + 1)
    p = [0] * (size + 1)  # p[j]: row (1-based) matched to column j
    way = [0] * (size + 1)
    for i in range(1, size + 1):
        p[0] = i
        j0 = 0
        minv = [_NEVER] * (size + 1)
        used = [False] * (size + 1)
        while True:
            used[j0] = True
            i0, delta, j1 = p[j0], _NEVER, 0
            for j in range(1, size + 1):
                if not used[j]:
                    cur = cost(i0 - 1, j - 1) - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j], way[j] = cur, j0
                    if minv[j] < delta:
                        delta, j1 = minv[j], j
            for j in range(size + 1):
                if used[j]:
                    u[p[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
    match = [0] * size
    for j in range(1, size + 1):
        match[p[j] - 1] = j - 1
    return match
