package audio

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/livedesk/livedesk/audio/audiotest"

	"github.com/livedesk/livedesk/audio/pcm"
)

// benchBackends are the backends the latency benchmarks run on: the null backend always, the
// PulseAudio test server when LIVEDESK_TESTENV is set.
func benchBackends(b *testing.B) map[string]func() (*Context, string) {
	m := map[string]func() (*Context, string){
		"null": func() (*Context, string) { return nullContext(b), "" },
	}
	if os.Getenv("LIVEDESK_TESTENV") != "" {
		m["pulse"] = func() (*Context, string) {
			c, err := NewContext(BackendPulse, nil)
			if err != nil {
				b.Fatalf("pulse: %v", err)
			}
			b.Cleanup(func() { _ = c.Close() })
			return c, "Speaker"
		}
	}
	return m
}

// stoppedDevices opens a real player and mic on the null backend and stops them, so the
// benchmark is the only caller of their callbacks.
func stoppedDevices(b *testing.B) (*Player, *Mic) {
	c := nullContext(b)
	p, err := c.OpenPlayer(PlayerConfig{Jitter: JitterConfig{KeepDuplicates: true}})
	if err != nil {
		b.Fatal(err)
	}
	m, err := c.OpenMic(MicConfig{SpeakerMode: true, FarEnd: p})
	if err != nil {
		b.Fatal(err)
	}
	if err := p.dev.Stop(); err != nil {
		b.Fatal(err)
	}
	if err := m.dev.Stop(); err != nil {
		b.Fatal(err)
	}
	return p, m
}

// BenchmarkPlayerCallback: one default playback period (20 ms, 480 frames) from the jitter
// buffer, including the reference tap; "write+callback" also queues one period of audio per
// period as the network does.
func BenchmarkPlayerCallback(b *testing.B) {
	p, _ := stoppedDevices(b)
	out := make([]byte, 2*p.period)
	b.Run("callback", func(b *testing.B) {
		long := pcm.FloatToS16LE(nil, audiotest.Sine(440, 0.3, OutputRate, OutputRate))
		b.ReportAllocs()
		for b.Loop() {
			if p.j.stats().Queued < 20*time.Millisecond {
				p.Write(p.Generation(), long)
			}
			p.onData(out, nil, uint32(p.period))
		}
	})
	b.Run("write+callback", func(b *testing.B) {
		pcm := pcm.FloatToS16LE(nil, audiotest.Sine(440, 0.3, OutputRate, p.period))
		b.ReportAllocs()
		for b.Loop() {
			p.Write(p.Generation(), pcm)
			p.onData(out, nil, uint32(p.period))
		}
	})
}

// BenchmarkMicCallback: one 10 ms capture period (160 frames) through meter, speaker-mode gate
// and the chunk queue (no reader: the queue is full and drops the oldest, the worst case).
func BenchmarkMicCallback(b *testing.B) {
	_, m := stoppedDevices(b)
	in := pcm.FloatToS16LE(nil, audiotest.Sine(300, 0.3, InputRate, InputRate/100))
	b.ReportAllocs()
	for b.Loop() {
		m.onData(nil, in, InputRate/100)
	}
}

// BenchmarkClearToSilence measures Clear() -> silence handed to the device. From the reference
// tap (device time): how much audio the device still received after Clear returned (the fade)
// and in how many periods. In wall time: until the callback that made it silent had returned.
func BenchmarkClearToSilence(b *testing.B) {
	for name, open := range benchBackends(b) {
		b.Run(name, func(b *testing.B) {
			c, dev := open()
			p, err := c.OpenPlayer(PlayerConfig{Device: dev, PeriodMs: periodFromEnv()})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			tone := pcm.FloatToS16LE(nil, audiotest.Sine(440, 0.5, OutputRate, OutputRate/2))
			ref := p.Reference()
			window := make([]int16, OutputRate/5)
			period := p.period
			var periods, after, wall float64
			for b.Loop() {
				g := p.Generation()
				p.Write(g, tone)
				p.EndTurn()
				waitFor(b, "playback", 10*time.Second, func() bool { return p.Stats().Played > OutputRate/20 })
				pos0 := ref.pos.Load()
				t0 := time.Now()
				p.Clear()
				for ref.pos.Load() == pos0 { // the next period after Clear has been handed over
					runtime.Gosched()
				}
				wall += float64(time.Since(t0)) / float64(time.Millisecond)
				time.Sleep(30 * time.Millisecond)
				end := ref.Read(window)
				start := len(window) - int(end-pos0) // index of the first sample after Clear returned
				last := start - 1
				for i := start; i < len(window); i++ {
					if window[i] != 0 {
						last = i
					}
				}
				n := last - start + 1
				after += float64(n) * 1000 / OutputRate
				periods += float64((n + period - 1) / period)
			}
			n := float64(b.N)
			b.ReportMetric(periods/n, "audible-periods")
			b.ReportMetric(after/n, "ms-audio-after-clear")
			b.ReportMetric(wall/n, "ms-wall-to-silent")
		})
	}
}

// BenchmarkStartupLatency measures the first queued byte -> the first non-silent frame handed to
// the device, with a reply streamed in real time in 20 ms chunks: in device time (what the
// device consumed meanwhile, from the reference tap) and wall time.
func BenchmarkStartupLatency(b *testing.B) {
	for name, open := range benchBackends(b) {
		b.Run(name, func(b *testing.B) {
			c, dev := open()
			p, err := c.OpenPlayer(PlayerConfig{Device: dev, PeriodMs: periodFromEnv()})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			chunk := pcm.FloatToS16LE(nil, audiotest.Sine(440, 0.5, OutputRate, OutputRate/50))
			ref := p.Reference()
			window := make([]int16, OutputRate/5)
			var devMs, wall float64
			for b.Loop() {
				g := p.Clear()
				time.Sleep(30 * time.Millisecond)
				pos0 := ref.pos.Load()
				t0 := time.Now()
				var wg sync.WaitGroup
				wg.Go(func() {
					for i := range 5 {
						if i > 0 {
							time.Sleep(20 * time.Millisecond)
						}
						p.Write(g, chunk)
					}
				})
				for ref.loudAt.Load() < int64(t0.Sub(ref.base)) {
					runtime.Gosched()
				}
				wall += float64(time.Since(t0)) / float64(time.Millisecond)
				end := ref.Read(window)
				start := len(window) - int(end-pos0)
				for i := max(start, 0); i < len(window); i++ {
					if window[i] != 0 {
						devMs += float64(i-start) * 1000 / OutputRate
						break
					}
				}
				wg.Wait()
			}
			n := float64(b.N)
			b.ReportMetric(devMs/n, "ms-device-time")
			b.ReportMetric(wall/n, "ms-wall")
		})
	}
}

// TestCPUCaptureAndPlayback60s measures the process CPU time of 60 s of simultaneous capture
// (VirtualMic, read in chunks) and playback (Speaker, fed in real time in 40 ms chunks) on the
// PulseAudio test server. It takes a minute, so it runs only with LIVEDESK_AUDIO_CPU=1.
func TestCPUCaptureAndPlayback60s(t *testing.T) {
	if os.Getenv("LIVEDESK_AUDIO_CPU") == "" {
		t.Skip("set LIVEDESK_AUDIO_CPU=1 (under scripts/with-testenv.sh) to measure CPU over 60 s")
	}
	c := pulseContext(t)
	micPeriod, _ := strconv.Atoi(os.Getenv("LIVEDESK_AUDIO_MIC_PERIOD_MS"))
	m, err := c.OpenMic(MicConfig{Device: "VirtualMic", PeriodMs: micPeriod})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	p, err := c.OpenPlayer(PlayerConfig{Device: "Speaker", PeriodMs: periodFromEnv()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	tone := pcm.FloatToS16LE(nil, audiotest.Sine(440, 0.3, OutputRate, OutputRate*61))
	chunk := 2 * OutputRate * 40 / 1000
	var ru0, ru1 syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru0); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	var chunks int
	wg.Go(func() {
		for {
			if _, err := m.Read(ctx); err != nil {
				return
			}
			chunks++
		}
	})
	wg.Go(func() {
		tick := time.NewTicker(40 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				p.Write(p.Generation(), tone[:chunk])
				tone = tone[chunk:]
			}
		}
	})
	// Steady state from 2 s on: audio the devices did not move in real time is a sound-server
	// gap (underrun on playback, overrun on capture).
	time.Sleep(2 * time.Second)
	t2, played2, captured2 := time.Now(), p.Stats().Played, m.Stats().Captured
	wg.Wait()
	elapsed := time.Since(start)
	steady := time.Since(t2)
	playGap := steady - time.Duration(p.Stats().Played-played2)*time.Second/OutputRate
	capGap := steady - (m.Stats().Captured - captured2)
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru1); err != nil {
		t.Fatal(err)
	}
	cpu := time.Duration(ru1.Utime.Nano()-ru0.Utime.Nano()) + time.Duration(ru1.Stime.Nano()-ru0.Stime.Nano())
	t.Logf("60 s capture+playback: CPU %v over %v = %.2f%% of one core; %d mic chunks; over the last %v the playback lagged %v and the capture %v; player %+v",
		cpu, elapsed.Round(time.Millisecond), 100*cpu.Seconds()/elapsed.Seconds(), chunks,
		steady.Round(time.Millisecond), playGap.Round(time.Millisecond), capGap.Round(time.Millisecond), p.Stats())
}
