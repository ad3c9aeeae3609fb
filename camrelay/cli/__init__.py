"""camrelay.cli."""
