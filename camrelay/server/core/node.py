"""This process's identity among the nodes of a cluster: tells its bus messages from others'."""

from __future__ import annotations

import secrets

NODE_ID = secrets.token_hex(8)  # random per process: a restarted node is a new node
