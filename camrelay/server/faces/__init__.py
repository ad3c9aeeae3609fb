"""camrelay.server.faces."""
