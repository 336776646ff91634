package audiotest_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/livedesk/livedesk/audio"
	"github.com/livedesk/livedesk/audio/audiotest"
)

// The doubles have the method sets of the real types.
type (
	mic interface {
		Read(context.Context) ([]byte, error)
	}
	speaker interface {
		Write(gen uint64, pcm []byte)
		Clear() uint64
		Generation() uint64
		EndTurn()
	}
)

var (
	_ mic     = (*audio.Mic)(nil)
	_ mic     = (*audiotest.Mic)(nil)
	_ speaker = (*audio.Player)(nil)
	_ speaker = (*audiotest.Speaker)(nil)
)

func TestMicChunks(t *testing.T) {
	tests := []struct {
		name    string
		pcm     int // bytes
		silence bool
		reads   int
		want    []int // chunk sizes; -1 = io.EOF
	}{
		{"exact", 1280, false, 3, []int{640, 640, -1}},
		{"padded last chunk", 700, false, 3, []int{640, 640, -1}},
		{"silence after", 640, true, 3, []int{640, 640, 640}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pcm := make([]byte, tt.pcm)
			for i := range pcm {
				pcm[i] = 1
			}
			m := &audiotest.Mic{PCM: pcm, Silence: tt.silence}
			var got []int
			for range tt.reads {
				b, err := m.Read(t.Context())
				switch {
				case errors.Is(err, io.EOF):
					got = append(got, -1)
				case err != nil:
					t.Fatal(err)
				default:
					got = append(got, len(b))
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("chunks (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMicPacing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := &audiotest.Mic{PCM: make([]byte, 640*10), Pace: true}
		start := time.Now()
		for range 10 {
			if _, err := m.Read(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		// Ten 20 ms chunks: the last is due 180 ms after the first.
		if got := time.Since(start); got != 180*time.Millisecond {
			t.Errorf("10 paced chunks took %v (fake clock), want 180ms", got)
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := m.Read(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Read with cancelled ctx = %v", err)
		}
	})
}

func TestSpeakerGenerations(t *testing.T) {
	var s audiotest.Speaker
	g := s.Generation()
	s.Write(g, []byte{1, 1})
	s.EndTurn()
	g2 := s.Clear()
	s.Write(g, []byte{2, 2}) // stale
	s.Write(g2, []byte{3, 3})
	got := s.Log()
	want := audiotest.SpeakerLog{Audio: []byte{1, 1, 3, 3}, Turns: 2, Dropped: 1, Clears: 1, TurnEnds: 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}
