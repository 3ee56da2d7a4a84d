# The two commands: `make run` starts the app, `make test` runs every test.
# Both install what they are missing first (scripts/setup.sh).
.PHONY: run test setup

run:
	@scripts/run.sh

test:
	@scripts/test.sh

setup:
	@scripts/setup.sh test

# The desktop package: `make bundle` builds the .deb; `make test-bundle` installs,
# upgrades and removes it on this machine (CI runs it after `make test`).
.PHONY: bundle test-bundle
bundle:
	@scripts/bundle.sh

test-bundle:
	@scripts/test-bundle.sh

# Windows, built here: `make bundle-windows` cross-builds the release app and its installer;
# `make test-windows` runs the core's suites under Wine and installs, upgrades and removes the
# installer in a fresh Wine prefix (CI runs it).
.PHONY: bundle-windows test-windows
bundle-windows:
	@scripts/bundle-windows.sh >/dev/null

test-windows:
	@scripts/test-windows.sh

# The model-based soak: seeded random interleavings of cashier, customer and network on a
# register process killed at random, each run checked against the money oracle (loopback only).
# SEED=<n> replays a run: make soak SEED=123 RUNS=1 (SOAK_VERBOSE=1 prints its requests)
.PHONY: soak
soak:
	@scripts/setup.sh test
	@cargo build --quiet --features dev-tools --bins
	@target/debug/soak --max-seconds $${SOAK_SECONDS:-1500} $${SEED:+--seed $$SEED} $${RUNS:+--runs $$RUNS}

# Speed, requests, start-up, memory and size, written into docs/performance.md (about 20 min).
.PHONY: bench
bench:
	@scripts/bench.sh
