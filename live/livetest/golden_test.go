package livetest

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// TestGoldenWire pins the exact frames of a small session (typed turn, tool
// call and answer, goAway): the byte-level shape clients are tested against.
func TestGoldenWire(t *testing.T) {
	reply := func(tu Turn) Reply {
		switch {
		case len(tu.ToolResponses) > 0:
			return Reply{Text: "It is sunny.", Audio: make([]byte, 48)}
		case tu.Index == 1:
			return Reply{ToolCalls: []ToolCall{{Name: "get_weather", Args: map[string]any{"city": "Paris"}}}}
		}
		return Reply{Text: "Hello there, friend.", Audio: make([]byte, 96)}
	}
	s := start(t, Options{Responder: reply, ChunkDur: time.Millisecond})
	c := connect(t, s, setupJSON("gemini-3.1-flash-live-preview", `"outputAudioTranscription":{},"sessionResumption":{},`+weatherTool))

	var out bytes.Buffer
	frame := func() []byte {
		typ, b, err := c.read()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "--- %v\n%s", typ, b)
		return b
	}
	until := func(part string) {
		for {
			var m msg
			b := frame()
			if err := jsonUnmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			if has(m, part) {
				return
			}
		}
	}
	fmt.Fprintf(&out, "--- setupComplete (read by connect)\n")
	frame() // resumption handle
	c.send(msg{"realtimeInput": msg{"text": "hi"}})
	until("serverContent.turnComplete")
	frame() // resumption update
	c.send(msg{"realtimeInput": msg{"text": "weather?"}})
	until("toolCall")
	c.send(msg{"toolResponse": msg{"functionResponses": []msg{{"id": "fc_1000000000000001", "name": "get_weather", "response": msg{"output": "sunny"}}}}})
	until("serverContent.turnComplete")
	frame()
	s.GoAway(50 * time.Second)
	frame()
	if err := c.ws.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Fatal(err)
	}

	path := filepath.Join("testdata", "session.golden")
	if *update {
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), out.String()); diff != "" {
		t.Errorf("wire frames differ from %s (-want +got):\n%s", path, diff)
	}
}
