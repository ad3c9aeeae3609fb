"""Test support: a real camrelay server in a subprocess, and clients for it."""
