package livetest

import (
	"encoding/base64"
	"strings"
	"testing"
)

// audioMessage is a 100 ms realtimeInput.audio frame as the SDKs send it.
func audioMessage() []byte {
	b := make([]byte, 3200)
	for i, v := range tone(1600, 0.3) {
		b[2*i], b[2*i+1] = byte(v), byte(v>>8)
	}
	return []byte(`{"realtimeInput":{"audio":{"data":"` + base64.StdEncoding.EncodeToString(b) + `","mimeType":"audio/pcm;rate=16000"}}}`)
}

// BenchmarkParseAudioMessage measures validating and decoding one 100 ms
// client audio frame: the fake's per-message hot path.
func BenchmarkParseAudioMessage(b *testing.B) {
	msg := audioMessage()
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, perr := parseClient(msg); perr != nil {
			b.Fatal(perr)
		}
	}
}

// BenchmarkVAD measures the energy VAD on 100 ms of 16 kHz audio.
func BenchmarkVAD(b *testing.B) {
	v := newVAD(nil)
	chunk := tone(1600, 0.3)
	b.SetBytes(2 * int64(len(chunk)))
	b.ReportAllocs()
	var evs []vadEvent
	for b.Loop() {
		evs = v.push(chunk, evs[:0])
	}
}

// BenchmarkSynthesize measures synthesising about 10 s of reply audio.
func BenchmarkSynthesize(b *testing.B) {
	text := strings.Repeat("This is a reply of moderate length. ", 4)
	b.ReportAllocs()
	var n int
	for b.Loop() {
		n = len(Synthesize(text))
	}
	b.ReportMetric(float64(n/2)/OutputRate, "audio-s/op")
}

// BenchmarkEncodeAudioChunk measures rendering one 100 ms model audio message
// as Google's pretty-printed JSON.
func BenchmarkEncodeAudioChunk(b *testing.B) {
	audio := make([]byte, 4800)
	m := &serverMsg{ServerContent: &serverContent{
		ModelTurn:           &outContent{Parts: []outPart{{InlineData: &outBlob{MIMEType: "audio/pcm;rate=24000", Data: audio}}}},
		OutputTranscription: &transcription{Text: " word"},
	}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encode(m, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTextTurn measures a whole typed turn over a real WebSocket with
// Pace 0: realtimeInput.text in, ~2 s of audio + transcripts + turnComplete out.
func BenchmarkTextTurn(b *testing.B) {
	s := start(b, Options{})
	c := connect(b, s, setupJSON("gemini-3.8-live", `"outputAudioTranscription":{}`))
	b.ReportAllocs()
	for b.Loop() {
		c.send(msg{"realtimeInput": msg{"text": "hello there"}})
		c.recvUntil("serverContent.turnComplete")
	}
}
