#!/usr/bin/env bash
# Runs a command inside a throw-away test environment: a real X server (Xvfb) and a real
# PulseAudio server with a null-sink speaker and a virtual microphone. Tests that need these
# read LIVEDESK_TESTENV=1 and then fail (not skip) when a device is missing.
#
#   scripts/with-testenv.sh go test -race ./...
#
# Devices (PulseAudio names / descriptions as malgo shows them):
#   sink   spk     "Speaker"     the app's speaker; record it from spk.monitor
#   sink   micsrc  "MicFeed"     play into it (paplay --device=micsrc f.wav) to "speak"
#   source mic     "VirtualMic"  the app's microphone (a virtual source on micsrc.monitor)
set -euo pipefail

work=$(mktemp -d /tmp/livedesk-testenv.XXXXXX)
export XDG_RUNTIME_DIR="$work/run"
mkdir -p "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
export HOME="${HOME:-$work}"
# Pin what rendered output depends on: the language (English: C.UTF-8 exists on every Debian
# system, and Fyne takes LANGUAGE=en from there; LC_* would override LANG) and the fonts (only
# the system's, installed by scripts/install-deps.sh: a user's own fonts in XDG_DATA_HOME would
# change the golden files).
unset LC_ALL LC_MESSAGES
export LANG=C.UTF-8 LANGUAGE=en
export XDG_DATA_HOME="$work/data"

pids=()
cleanup() {
	pulseaudio --kill >/dev/null 2>&1 || true
	for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" >/dev/null 2>&1 || true; done
	wait >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

# Pick a free X display number.
disp=99
while [ -e "/tmp/.X11-unix/X$disp" ] || [ -e "/tmp/.X$disp-lock" ]; do disp=$((disp + 1)); done
Xvfb ":$disp" -screen 0 1920x1080x24 -nolisten tcp -noreset >"$work/xvfb.log" 2>&1 &
pids+=($!)
export DISPLAY=":$disp"
for _ in $(seq 100); do
	xdpyinfo >/dev/null 2>&1 && break
	sleep 0.05
done
xdpyinfo >/dev/null 2>&1 || { echo "with-testenv: Xvfb did not start" >&2; cat "$work/xvfb.log" >&2; exit 1; }

pulseaudio -D -n --exit-idle-time=-1 --disallow-exit --log-target="file:$work/pulse.log" \
	-L module-native-protocol-unix \
	-L "module-null-sink sink_name=spk rate=48000 sink_properties=device.description=Speaker" \
	-L "module-null-sink sink_name=micsrc rate=48000 sink_properties=device.description=MicFeed" \
	-L "module-virtual-source source_name=mic master=micsrc.monitor source_properties=device.description=VirtualMic" \
	>/dev/null 2>&1 || { echo "with-testenv: pulseaudio did not start" >&2; cat "$work/pulse.log" >&2; exit 1; }
for _ in $(seq 100); do
	pactl info >/dev/null 2>&1 && break
	sleep 0.05
done
pactl set-default-sink spk >/dev/null
pactl set-default-source mic >/dev/null
# A null sink with no stream renders ahead in 2 s blocks and only looks at a new stream's
# latency when the block is spent: a microphone opened then delivered its first period up to
# 2 s late (measured 1.8-2.0 s, every time), and a speaker asked for its first data as late, so
# the model's first words played up to half a second after they arrived (a kept barge-in
# recording: the user heard 0.27 s before the answer), which a sound card does not do. A silent
# low-latency stream on each sink keeps it rendering in small blocks, as hardware would. (The
# speaker's was left out for a while, blamed for an idle window at 9 % of a core; CI saw the
# same 9.8 % without it, and the window measures 1.2 % with it, level with a bare Fyne window.)
for s in micsrc spk; do
	pacat --playback --device="$s" --latency-msec=20 --format=s16le --rate=48000 --channels=1 --raw </dev/zero >/dev/null 2>&1 &
	pids+=($!)
done
export PULSE_SERVER="unix:$XDG_RUNTIME_DIR/pulse/native"
export LIVEDESK_TESTENV=1
export LIVEDESK_TESTENV_LOG="$work"

"$@"
