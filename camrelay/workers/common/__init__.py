"""What both workers stand on: the stream source, drop-oldest fan-out, the feed server, the
lifecycle, MJPEG and process figures."""
