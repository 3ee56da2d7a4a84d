# The two commands: `make run` starts the app, `make test` runs every test.
# Both install what they are missing first (scripts/setup.sh).
.PHONY: run test setup

run:
	@scripts/run.sh

test:
	@scripts/test.sh

setup:
	@scripts/setup.sh test
