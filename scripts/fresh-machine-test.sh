#!/usr/bin/env bash
# Checks the README's promise on a fresh Debian 12: builds a minimal Debian system with
# debootstrap (git, make and CA certificates only, as a new machine has), copies in the Go
# toolchain, clones this repository at HEAD and runs `make test` inside it as root. Nothing of
# this machine's packages or Go caches is visible in there, so every package the tests need must
# come from the project's own scripts.
#
#   sudo scripts/fresh-machine-test.sh [DIR]      (DIR defaults to /tmp/livedesk-fresh)
#
# It takes a while: a cold build of the whole stack and the whole test suite on a cold cache.
# The packages `make test` installed are listed at the end (from the chroot's dpkg log).
set -euo pipefail
top=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
root=${1:-/tmp/livedesk-fresh}
goroot=$(go env GOROOT)

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! command -v debootstrap >/dev/null 2>&1; then
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

if [ ! -x "$root/usr/bin/make" ]; then
	$sudo debootstrap --variant=minbase --include=git,make,ca-certificates bookworm "$root" http://deb.debian.org/debian
	$sudo tee "$root/etc/apt/sources.list" >/dev/null <<-EOF
		deb http://deb.debian.org/debian bookworm main
		deb http://deb.debian.org/debian bookworm-updates main
		deb http://deb.debian.org/debian-security bookworm-security main
	EOF
fi
$sudo rm -rf "$root/usr/local/go" "$root/src/livedesk"
$sudo cp -a "$goroot" "$root/usr/local/go"
$sudo mkdir -p "$root/src"
$sudo git clone --quiet "$top" "$root/src/livedesk"
$sudo cp /etc/resolv.conf "$root/etc/resolv.conf"

mounts=(proc sys dev dev/pts)
cleanup() {
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do $sudo umount -l "$root/${mounts[i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
$sudo mount -t proc proc "$root/proc"
$sudo mount --rbind /sys "$root/sys"
$sudo mount --rbind /dev "$root/dev"
$sudo mount -t devpts devpts "$root/dev/pts" 2>/dev/null || true

start=$(date +%s)
status=0
$sudo chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
	PATH=/usr/local/go/bin:/root/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	GOPROXY="$(go env GOPROXY)" GOSUMDB="$(go env GOSUMDB)" GOFLAGS="$(go env GOFLAGS)" \
	bash -c 'cd /src/livedesk && make test' || status=$?
echo "fresh-machine make test: exit $status after $(($(date +%s) - start)) s"
echo "packages make test installed in the fresh system:"
grep -h "^Commandline: apt-get install" "$root"/var/log/apt/history.log 2>/dev/null | sed 's/.*--no-install-recommends //' || true
exit $status
