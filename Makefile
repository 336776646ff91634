# Live Desk. The two commands the README promises:
#   make run    install what the app needs (Debian packages), build it, start it
#   make test   install what the tests need, start Xvfb + PulseAudio, run every check
.PHONY: run test build windows fuzz deps-run deps-test bench screenshots package clean

BIN := livedesk

run: deps-run build
	./$(BIN) $(ARGS)

build:
	go build -o $(BIN) .

test: deps-test
	scripts/with-testenv.sh scripts/check.sh

# The real Windows binary (Fyne's GLFW driver) with mingw-w64; CI builds the same program with
# Fyne's software driver (see scripts/check.sh) because GLFW's cold cgo build is very slow.
windows: deps-test
	GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc go build -o $(BIN).exe .

deps-run:
	scripts/install-deps.sh run

deps-test:
	scripts/install-deps.sh test

# Every fuzz target for FUZZTIME each (default 1m); crashers land in testdata/fuzz as seeds.
fuzz:
	scripts/fuzz.sh

# Benchmarks of the hot paths (numbers go in the README's performance table).
bench: deps-test
	scripts/with-testenv.sh go test -run '^$$' -bench . -benchmem ./live/... ./audio/... ./capture/...

# The README's screenshots, taken from the demo under Xvfb (every state in testdata/artifacts/screenshots/).
screenshots: deps-test
	scripts/screenshots.sh

clean:
	rm -f $(BIN) $(BIN).exe
