package livetest

import "math"

// vad is the fake's server-side voice activity detector: an energy gate on
// 20 ms frames of the incoming 16 kHz audio. All its time is counted in
// samples, never read from a clock, so it is deterministic.
//
// Speech starts once the frames above the start threshold add up to the prefix
// duration (prefixPaddingMs, or a default that depends on the start
// sensitivity); it ends after silenceDurationMs of frames below the end
// threshold (default depends on the end sensitivity).
type vad struct {
	startThresh float64 // RMS (0..1 of full scale) to count as speech
	endThresh   float64 // RMS below which a frame is silence
	prefix      int     // samples of speech needed to commit a start
	silence     int     // samples of silence needed to commit an end

	frame    []int16 // partial frame carried between pushes
	inSpeech bool
	run      int // current run of speech (before start) or silence (during speech), in samples
	segment  int // samples since the committed start, incl. the prefix
	lastVoic int // segment length at the last voiced frame
	pos      int // samples in the frames analysed so far (the stream position)
}

const (
	vadRate  = 16000
	vadFrame = vadRate / 50 // 20 ms
)

type vadEventKind uint8

const (
	vadStart vadEventKind = iota + 1
	vadEnd
)

type vadEvent struct {
	kind vadEventKind
	// speech is the length of the utterance in samples (vadEnd only): from the
	// first voiced frame to the last one.
	speech int
	// at is where in the stream (samples since the VAD was made) the speech
	// started (vadStart) or ended (vadEnd).
	at int
}

func newVAD(cfg *aadConfig) *vad {
	v := &vad{
		startThresh: dbfs(-45),
		endThresh:   dbfs(-50),
		prefix:      ms(40),
		silence:     ms(500),
		frame:       make([]int16, 0, vadFrame),
	}
	if cfg == nil {
		return v
	}
	if cfg.StartOfSpeechSensitivity == "START_SENSITIVITY_LOW" {
		v.startThresh = dbfs(-33)
		v.prefix = ms(120)
	}
	if cfg.EndOfSpeechSensitivity == "END_SENSITIVITY_LOW" {
		v.silence = ms(1000)
		v.endThresh = dbfs(-56)
	}
	if cfg.PrefixPaddingMs != nil && *cfg.PrefixPaddingMs >= 0 {
		v.prefix = ms(*cfg.PrefixPaddingMs)
	}
	if cfg.SilenceDurationMs != nil && *cfg.SilenceDurationMs > 0 {
		v.silence = ms(*cfg.SilenceDurationMs)
	}
	v.prefix = max(v.prefix, vadFrame)
	v.silence = max(v.silence, vadFrame)
	return v
}

func ms(n int) int { return n * vadRate / 1000 }

func dbfs(db float64) float64 { return math.Pow(10, db/20) }

// push feeds samples and appends any events to evs.
func (v *vad) push(samples []int16, evs []vadEvent) []vadEvent {
	for len(samples) > 0 {
		n := min(vadFrame-len(v.frame), len(samples))
		v.frame = append(v.frame, samples[:n]...)
		samples = samples[n:]
		if len(v.frame) < vadFrame {
			break
		}
		v.pos += vadFrame
		evs = v.step(rms(v.frame), evs)
		v.frame = v.frame[:0]
	}
	return evs
}

func (v *vad) step(level float64, evs []vadEvent) []vadEvent {
	if !v.inSpeech {
		if level >= v.startThresh {
			v.run += vadFrame
			if v.run >= v.prefix {
				v.inSpeech = true
				v.segment = v.run
				v.lastVoic = v.run
				v.run = 0
				evs = append(evs, vadEvent{kind: vadStart, at: v.pos - v.segment})
			}
		} else {
			v.run = 0
		}
		return evs
	}
	v.segment += vadFrame
	if level >= v.endThresh {
		v.run = 0
		v.lastVoic = v.segment
		return evs
	}
	v.run += vadFrame
	if v.run >= v.silence {
		evs = append(evs, v.endEvent())
		v.reset()
	}
	return evs
}

// flush ends a pending utterance (audioStreamEnd); it reports whether one was
// in progress and its length.
func (v *vad) flush() (vadEvent, bool) {
	ev, ok := v.endEvent(), v.inSpeech
	v.pos += len(v.frame) // the partial frame is dropped but was streamed
	v.reset()
	return ev, ok
}

func (v *vad) endEvent() vadEvent {
	return vadEvent{kind: vadEnd, speech: v.lastVoic, at: v.pos - v.segment + v.lastVoic}
}

// speaking returns the length of the utterance in progress up to its last
// voiced frame, 0 outside speech.
func (v *vad) speaking() int {
	if !v.inSpeech {
		return 0
	}
	return v.lastVoic
}

func (v *vad) reset() {
	v.inSpeech = false
	v.run, v.segment, v.lastVoic = 0, 0, 0
	v.frame = v.frame[:0]
}

func rms(s []int16) float64 {
	if len(s) == 0 {
		return 0
	}
	var sum float64
	for _, x := range s {
		f := float64(x)
		sum += f * f
	}
	return math.Sqrt(sum/float64(len(s))) / 32768
}

// hasSpeech reports whether any 20 ms frame of s is above the default start
// threshold (used for manual activity detection, where the client decides
// where turns are but Turn.Speech still says whether they held sound).
func hasSpeech(s []int16) bool {
	th := dbfs(-45)
	for i := 0; i+vadFrame <= len(s); i += vadFrame {
		if rms(s[i:i+vadFrame]) >= th {
			return true
		}
	}
	return false
}
