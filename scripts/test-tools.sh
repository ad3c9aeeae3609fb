#!/bin/sh
# The Debian packages the tests talk to, installed in one apt run when any is missing:
# curl with HTTP/2 (the document's own examples use it), Chromium (the web page's tests; Playwright
# drives it, never `playwright install`), HAProxy (the PROXY protocol tests and deploy/haproxy.cfg),
# PostgreSQL and the NATS server (the scale-out tests start their own on free ports).
set -e
missing=""
curl --version 2>/dev/null | grep -q HTTP2 || missing="$missing curl"
test -x /usr/bin/chromium || missing="$missing chromium"
test -x /usr/sbin/haproxy || missing="$missing haproxy"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
test -x /usr/sbin/nats-server || missing="$missing nats-server"
[ -z "$missing" ] || sh "$(dirname "$0")/apt-install.sh" $missing
