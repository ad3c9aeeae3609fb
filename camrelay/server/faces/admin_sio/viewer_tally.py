"""The viewers of each camera on every node, from the viewer events in the order they arrive:
`camera:unDemand` only when the last one on any node left (the events of one node say how many
it has; nodes send theirs on their own)."""

from __future__ import annotations

from ...core.bus import ViewerAttached, ViewerLeft

Camera = tuple[int, str]


class ViewerTally:
    """Viewers per camera per node; a camera with none anywhere holds no entry."""

    def __init__(self) -> None:
        self._nodes: dict[Camera, dict[str, int]] = {}

    def attached(self, event: ViewerAttached) -> None:
        """A viewer attached on `event.node`, which now has `event.watching`."""
        self._set((event.account_id, event.device), event.node, max(event.watching, 1))

    def last(self, event: ViewerLeft) -> bool:
        """Take a viewer leaving; whether no node has a viewer of the camera any more."""
        camera = (event.account_id, event.device)
        self._set(camera, event.node, event.remaining)
        return camera not in self._nodes

    def _set(self, camera: Camera, node: str, count: int) -> None:
        nodes = self._nodes.setdefault(camera, {})
        if count > 0:
            nodes[node] = count
        else:
            nodes.pop(node, None)
        if not nodes:
            del self._nodes[camera]
