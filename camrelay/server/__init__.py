"""camrelay.server."""
