"""The Socket.IO admin API (socketio-admin-api.txt, CONTRACT §6) at /socket.io/."""

from .mounting import AdminSio

__all__ = ["AdminSio"]
