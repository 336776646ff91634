#!/usr/bin/env bash
# Enforces the package boundaries of shared/DESIGN.md with `go list -deps`.
set -euo pipefail
cd "$(dirname "$0")/.."
mod=$(go list -m)
fail=0
forbid() { # forbid <packages> <regexp> <why>
	local pkgs=$1 re=$2 why=$3 hits
	[ -z "$(go list "$pkgs" 2>/dev/null)" ] && return 0
	hits=$(go list -deps "$pkgs" | grep -E "$re" || true)
	if [ -n "$hits" ]; then
		echo "$pkgs must not depend on $why:"; echo "$hits" | sed 's/^/  /'; fail=1
	else
		echo "ok: $pkgs has no $why"
	fi
}
for p in live audio capture settings catalog call cli; do
	[ -d "$p" ] && forbid "./$p/..." '^fyne\.io/' "Fyne"
done
# Only main chooses the Fyne driver (the window package works with Fyne's test driver too).
[ -d ui ] && forbid ./ui/... '^fyne\.io/fyne/v2/app$' "Fyne's app driver (only main opens it)"
[ -d live ] && forbid ./live/... "^$mod/(settings|call|ui|cli)(/|\$)" "settings, call, ui or cli (it takes its own Config)"
[ -d catalog ] && forbid ./catalog/... "^$mod/(assets|audio|call|capture|cli|live|settings|ui)(/|\$)" "other app packages (it is the leaf everyone reads)"
[ -d call ] && forbid ./call/... "^$mod/(ui|cli)(/|\$)" "ui or cli"
[ -d live ] && forbid ./live/... '^github\.com/(gen2brain/malgo|kbinani/screenshot|blackjack/webcam)' "device packages"
[ -d audio ] && forbid ./audio/... "^$mod/(live|capture|ui)(/|\$)" "live, capture or ui"
[ -d capture ] && forbid ./capture/... "^$mod/(live|audio|ui)(/|\$)" "live, audio or ui"
[ -d settings ] && forbid ./settings/... "^$mod/(live|audio|capture|ui|call|cli)(/|\$)" "other app packages"
exit $fail
