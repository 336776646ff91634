package audio

// pulseOutStats are the own PulseAudio stream's counters and settings (see pulseOut).
type pulseOutStats struct {
	Underflows, Rewrites, Rewritten uint64
	TLength, MinReq, PreBuf         int // samples
	Latency                         int64
	Failed, PipeWire                bool
}
