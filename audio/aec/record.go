package aec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Recorder captures what a Canceller works with, so that a session can be replayed offline
// exactly (replay_test.go): the raw microphone, the processed microphone, the far-end
// reference, and where the reference's end stood at each capture callback (the timing the
// canceller saw). Put Input before the canceller and Output after it in the capture chain.
//
// It records into buffers allocated up front (the capture callback must not allocate) and
// stops recording, silently, when they are full. Save writes the files; a recording holds the
// user's voice, so it is only ever made on request (livedesk talk --echo-record DIR).
type Recorder struct {
	src   Source
	rate  int     // microphone rate
	big   []int16 // one second of reference, read each callback
	ref   []int16
	seen  uint64 // reference position recorded up to
	start uint64 // reference position of ref[0]
	first bool
	near  []int16
	out   []int16
	calls [][2]uint64 // samples in the callback, reference end at its start
	c     *Canceller  // watched: its counters are logged when they change
	last  Stats
	log   []event
}

// event is a change of the watched canceller's counters, at a microphone sample position.
type event struct {
	at uint64
	st Stats
}

// NewRecorder returns a recorder with room for limit of audio.
func NewRecorder(ref Source, micRate int, limit time.Duration) *Recorder {
	sec := int(limit.Seconds()) + 1
	return &Recorder{
		src:   ref,
		rate:  micRate,
		big:   make([]int16, ref.Rate()),
		ref:   make([]int16, 0, (sec+1)*ref.Rate()),
		near:  make([]int16, 0, sec*micRate),
		out:   make([]int16, 0, sec*micRate),
		calls: make([][2]uint64, 0, sec*200),
		log:   make([]event, 0, 4096),
		first: true,
	}
}

// Watch makes the recording note the canceller's counters whenever they change (events.txt):
// what the live canceller did, to compare with a replay.
func (r *Recorder) Watch(c *Canceller) { r.c = c }

type recorderInput struct{ r *Recorder }
type recorderOutput struct{ r *Recorder }

// Input is the Processor to run before the canceller.
func (r *Recorder) Input() interface{ Process([]int16) } { return recorderInput{r} }

// Output is the Processor to run after the canceller.
func (r *Recorder) Output() interface{ Process([]int16) } { return recorderOutput{r} }

func (p recorderOutput) Process(s []int16) {
	r := p.r
	if len(r.out)+len(s) <= cap(r.out) {
		r.out = append(r.out, s...)
	}
	if r.c == nil || len(r.log) == cap(r.log) {
		return
	}
	st := r.c.Stats()
	if st.Rewinds != r.last.Rewinds || st.Skips != r.last.Skips || st.Realigns != r.last.Realigns ||
		st.Restores != r.last.Restores || st.Resyncs != r.last.Resyncs || st.Delay != r.last.Delay ||
		st.Converged != r.last.Converged || st.Guarded != r.last.Guarded && st.Guarded-r.last.Guarded >= 25 {
		r.log = append(r.log, event{at: uint64(len(r.out)), st: st})
		r.last = st
	}
}

func (p recorderInput) Process(near []int16) {
	r := p.r
	if len(r.near)+len(near) > cap(r.near) || len(r.calls) == cap(r.calls) {
		return
	}
	end := r.src.Read(r.big)
	n := uint64(len(r.big))
	if r.first {
		r.first = false
		r.start = end - min(end, n)
		r.seen = r.start
	}
	from := r.seen
	if end > n {
		from = max(from, end-n)
	}
	if end > from && len(r.ref)+int(end-from) <= cap(r.ref) {
		r.ref = append(r.ref, r.big[n-(end-from):]...)
		r.seen = end
	}
	r.near = append(r.near, near...)
	r.calls = append(r.calls, [2]uint64{uint64(len(near)), end})
}

// Save writes near.raw, out.raw, ref.raw (s16le) and calls.txt (a line "start rate", then
// one "samples reference_end" line per capture callback) into dir. Call it after the capture
// device has stopped.
func (r *Recorder) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("echo recording: %w", err)
	}
	write := func(name string, s []int16) error {
		b := make([]byte, 2*len(s))
		for i, v := range s {
			binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
		}
		return os.WriteFile(filepath.Join(dir, name), b, 0o600)
	}
	var calls []byte
	calls = fmt.Appendf(calls, "%d %d\n", r.start, r.src.Rate())
	for _, c := range r.calls {
		calls = fmt.Appendf(calls, "%d %d\n", c[0], c[1])
	}
	var events []byte
	for _, e := range r.log {
		events = fmt.Appendf(events, "%.3f s: %+v\n", float64(e.at)/float64(r.rate), e.st)
	}
	err := errors.Join(os.WriteFile(filepath.Join(dir, "events.txt"), events, 0o600), write("near.raw", r.near), write("out.raw", r.out), write("ref.raw", r.ref),
		os.WriteFile(filepath.Join(dir, "calls.txt"), calls, 0o600))
	if err != nil {
		return fmt.Errorf("echo recording: %w", err)
	}
	return nil
}

// Slip is how far the speaker fell behind the microphone over the recording: the microphone
// time recorded minus the reference time the player handed out meanwhile (from when the
// reference has flowed for half a second to the end, the last half second's median so that
// the player's period steps do not count). A sound server that keeps time slips by a few
// milliseconds plus the clocks' drift; playback underruns and a stalled sink add their length.
// The echo follows the reference, so a canceller must follow every such slip: tests use it to
// tell a sound server that could not keep up (the shared CI machines: 1 s in 25 s, the speaker
// running up to 10 % slow for seconds) from a canceller that fails. Call it after the capture
// device has stopped.
func (r *Recorder) Slip() time.Duration { return slip(r.calls, r.rate, r.src.Rate()) }

// ReadSlip is Slip for a recording saved in dir, made at the microphone rate micRate.
func ReadSlip(dir string, micRate int) (time.Duration, error) {
	b, err := os.ReadFile(filepath.Join(dir, "calls.txt"))
	if err != nil {
		return 0, fmt.Errorf("echo recording: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var start uint64
	var refRate int
	if _, err := fmt.Sscan(lines[0], &start, &refRate); err != nil || refRate <= 0 {
		return 0, fmt.Errorf("echo recording: calls.txt: bad first line %q", lines[0])
	}
	calls := make([][2]uint64, 0, len(lines)-1)
	for _, l := range lines[1:] {
		var c [2]uint64
		if _, err := fmt.Sscan(l, &c[0], &c[1]); err != nil {
			return 0, fmt.Errorf("echo recording: calls.txt: %q: %w", l, err)
		}
		calls = append(calls, c)
	}
	return slip(calls, micRate, refRate), nil
}

func slip(calls [][2]uint64, micRate, refRate int) time.Duration {
	// The baseline is taken once the reference has flowed for half a second: PulseAudio
	// pre-buffers a new playback stream and may hold it for about a second, which is start-up,
	// not the sound server falling behind.
	var mic, mic0, ref0, first uint64
	started, flowing := false, false
	type point struct {
		mic    uint64
		behind float64 // seconds
	}
	var pts []point
	for _, c := range calls {
		switch {
		case !started && c[1] > 0:
			started, first = true, c[1]
		case started && !flowing && c[1]-min(c[1], first) >= uint64(refRate/2):
			flowing, mic0, ref0 = true, mic, c[1]
		}
		if flowing {
			pts = append(pts, point{mic, float64(mic-mic0)/float64(micRate) - float64(c[1]-min(c[1], ref0))/float64(refRate)})
		}
		mic += c[0]
	}
	if len(pts) == 0 {
		return 0
	}
	var tail []float64
	for i := len(pts) - 1; i >= 0 && (len(tail) == 0 || pts[len(pts)-1].mic-pts[i].mic < uint64(micRate/2)); i-- {
		tail = append(tail, pts[i].behind)
	}
	slices.Sort(tail)
	return time.Duration(tail[len(tail)/2] * float64(time.Second))
}
