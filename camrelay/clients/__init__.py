"""camrelay.clients."""
