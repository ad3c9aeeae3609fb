"""camrelay: a relay server for web cameras over HTTP/2."""
