#!/usr/bin/env bash
# Takes the README's pictures from the real binary under Xvfb (TestScreenshots in
# screenshots_test.go): the first-run welcome, the demo in a conversation while it shares a
# painted desktop, and the share picker. Every picture lands in testdata/artifacts/screenshots/;
# the two the README shows are also written, compressed, to docs/ (commit those).
#
#   scripts/screenshots.sh     # make screenshots
set -euo pipefail
cd "$(dirname "$0")/.."
out=testdata/artifacts/screenshots
scripts/with-testenv.sh env LIVEDESK_SCREENSHOTS="$out" LIVEDESK_SCREENSHOTS_DOCS=docs \
	go test -count=1 -run '^TestScreenshots$' -v .
ls -l "$out"/*.png docs/screenshot-*.png
