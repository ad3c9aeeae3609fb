"""Hypercorn and h2 as camrelay needs them: each trap fixed in its own module, installed by
install_all() only on the library versions the fixes were written for."""

from .guard import TransportMismatch, install_all

__all__ = ["TransportMismatch", "install_all"]
