"""camrelay.server.core."""
