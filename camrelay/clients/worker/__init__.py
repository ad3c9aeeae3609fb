"""camrelay.clients.worker."""
