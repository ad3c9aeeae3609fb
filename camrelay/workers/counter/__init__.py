"""People counter: detection, tracking, line crossing, traffic events, faces and feed messages.

The pieces here are pure or own their own small resources (a SQLite file, a face directory);
the worker process that reads a relayed stream and serves the WebSocket feed composes them.
"""
