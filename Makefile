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

# The crash soak: 500 randomized sales on a register process killed at random (loopback only).
.PHONY: soak
soak:
	@scripts/setup.sh test
	@cargo build --quiet --features dev-tools --bins
	@target/debug/soak --sales 500 --max-seconds 1800 --kill-rate 0.25

# Speed, requests, start-up, memory and size, written into docs/performance.md (about 20 min).
.PHONY: bench
bench:
	@scripts/bench.sh
