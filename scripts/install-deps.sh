#!/usr/bin/env bash
# Installs the Debian packages Live Desk needs, only those missing.
#   scripts/install-deps.sh run    build and run the app
#   scripts/install-deps.sh test   also the test environment (Xvfb, PulseAudio, speech tools)
set -euo pipefail

build=(gcc pkg-config libgl1-mesa-dev libgl1-mesa-dri libx11-dev libxcursor-dev libxrandr-dev
	libxinerama-dev libxi-dev libxxf86vm-dev libxext-dev libxrender-dev libxfixes-dev
	libpulse-dev)  # headers only: audio's hush opens libpulse at run time, as miniaudio does
# Fonts: Fyne's bundled font covers Latin, Greek and Cyrillic only; Chinese, Japanese and Korean
# (fonts-noto-cjk) and Arabic, the Indic scripts and Thai (fonts-noto-core) come from system
# fonts, for the UI's translations and every speech language in Settings. The golden UI tests
# are made with exactly these.
runtime=(libpulse0 libasound2 fonts-dejavu-core fonts-noto-core fonts-noto-cjk)
testenv=(xvfb xauth x11-utils x11-xserver-utils xdotool imagemagick pulseaudio pulseaudio-utils
	espeak-ng sox libsox-fmt-all alsa-utils libasound2-plugins dbus-daemon
	xfonts-base  # Xvfb's Unicode core font, for the labels of what Gemini points at (overlay)
	gcc-mingw-w64-x86-64-win32)  # the Windows cross-build in scripts/check.sh

want=("${build[@]}" "${runtime[@]}")
if [ "${1:-run}" = test ]; then
	want+=("${testenv[@]}")
	command -v node >/dev/null 2>&1 || want+=(nodejs)
	command -v npm >/dev/null 2>&1 || want+=(npm)
fi

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
