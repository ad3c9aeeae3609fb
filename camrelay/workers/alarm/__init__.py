"""Motion alarm worker: settings, motion pipeline, schedule, state machine and alerters.

Everything here is pure or talks only to its configured alerter endpoints; the feed face
(WebSocket status/commands, /metrics, /config, /snapshot) is built on top of these pieces.
"""
