# Live Desk. The two commands the README promises:
#   make run    install what the app needs (Debian packages), build it, start it
#   make test   install what the tests need, start Xvfb + PulseAudio, run every check
.PHONY: run test build deps-run deps-test bench package clean

BIN := livedesk

run: deps-run build
	./$(BIN) $(ARGS)

build:
	go build -o $(BIN) .

test: deps-test
	scripts/with-testenv.sh scripts/check.sh

deps-run:
	scripts/install-deps.sh run

deps-test:
	scripts/install-deps.sh test

# Benchmarks of the hot paths (numbers go in the README's performance table).
bench: deps-test
	scripts/with-testenv.sh go test -run '^$$' -bench . -benchmem ./live/... ./audio/... ./capture/...

clean:
	rm -f $(BIN)
