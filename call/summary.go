package call

import (
	"fmt"
	"time"

	"github.com/livedesk/livedesk/audio"
	"github.com/livedesk/livedesk/live"
)

// Summary is what a run did, for the end of a terminal conversation.
type Summary struct {
	Conversation  live.ConversationStats
	Usage         live.Usage
	MicDropped    uint64 // chunks the microphone queue dropped (the reader fell behind)
	Played        time.Duration
	Underruns     uint64
	EchoReduction string // "" without an echo canceller
}

// Summary returns the summary of the last run that ended.
func (c *Call) Summary() Summary {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.summary
}

func summarize(r *run) Summary {
	s := Summary{Conversation: r.conv.Stats(), Usage: r.conv.Usage(), EchoReduction: r.aio.echoReduction()}
	if r.aio != nil && r.aio.mic != nil {
		s.MicDropped = r.aio.mic.Stats().Dropped
	}
	if r.aio != nil && r.aio.player != nil {
		ps := r.aio.player.Stats()
		s.Played = time.Duration(ps.Played) * time.Second / audio.OutputRate
		s.Underruns = ps.Underruns
	}
	return s
}

// String is the summary as one line.
func (s Summary) String() string {
	st := s.Conversation
	return fmt.Sprintf("mic %.1f s sent (%d chunks dropped), %d frames sent, model audio %.1f s received, %.1f s played, %d underruns, %d interruptions, %d reconnects, %d goAway swaps, %d tokens, ~$%.4f",
		float64(st.MicSamplesSent)/audio.InputRate, s.MicDropped+uint64(st.MicDroppedBacklog), st.FramesSent,
		float64(st.ModelAudioBytes)/(2*audio.OutputRate), s.Played.Seconds(), s.Underruns,
		st.Interruptions, st.Reconnects, st.Swaps, s.Usage.Total, s.Usage.EstimatedUSD)
}
