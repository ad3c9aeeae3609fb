"""Where the access log goes: the terminal among the other log lines, or a file of its own
(so a busy server's one line per request does not bury its warnings)."""

from __future__ import annotations

import logging
from pathlib import Path

from ..settings import ServerSettings

LOGGER = "hypercorn.access"
TERMINAL = "-"
FILE_FORMAT = "%(asctime)s %(message)s"


def access_log_path(server: ServerSettings) -> Path | None:
    """The access log file (relative paths lie in the data directory), or None for the
    terminal."""
    if server.access_log_file == TERMINAL:
        return None
    path = Path(server.access_log_file)
    return path if path.is_absolute() else Path(server.data_dir) / path


def access_logger(server: ServerSettings) -> logging.Logger:
    """The logger Hypercorn writes one line per request to. It logs at INFO whatever
    log_level says: `access_log` alone turns it on or off."""
    logger = logging.getLogger(LOGGER)
    logger.setLevel(logging.INFO)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    path = access_log_path(server)
    if path is None:
        logger.propagate = True  # through the root handler, once
        return logger
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FILE_FORMAT))
    logger.addHandler(handler)
    logger.propagate = False
    return logger
