"""camrelay: a relay server for web cameras over HTTP/2."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("camrelay")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0.0.0"
