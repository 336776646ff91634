#!/usr/bin/env bash
# Runs every fuzz target for a while beyond its seeds (FUZZTIME each, default 1m; CI uses a few
# seconds). A crasher is written to the package's testdata/fuzz/<Target>/ by go test: commit it,
# and it becomes a regression seed that every `go test` run replays.
#
#   scripts/fuzz.sh            # make fuzz
#   FUZZTIME=3s scripts/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
t=${FUZZTIME:-1m}
targets=(
	"./audio FuzzReadWAV"
	"./capture FuzzFixMJPEG"
	"./capture FuzzYUYVToRGBA"
	"./live FuzzDecodeServerMessage"
	"./live FuzzDuration"
	"./live FuzzBuildSetup"
	"./settings FuzzValidate"
)
fail=0
for tg in "${targets[@]}"; do
	set -- $tg
	echo "fuzz $2 ($1) for $t"
	go test -run '^$' -fuzz "^$2\$" -fuzztime "$t" "$1" || fail=1
done
exit $fail
