package livetest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/livedesk/livedesk/live/livetest"
)

// A raw client's view of one typed turn. Clients under test are given
// s.URL() (Go) or s.HTTPURL() (the JS SDK) as their base URL.
func Example() {
	s, err := livetest.Start(livetest.Options{
		Responder: func(t livetest.Turn) livetest.Reply { return livetest.Reply{Text: "Hello to you."} },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, s.URL()+"/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent?key=my-key", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ws.CloseNow()
	ws.SetReadLimit(1 << 20)

	_ = ws.Write(ctx, websocket.MessageText, []byte(`{"setup":{"model":"models/gemini-3.8-live","outputAudioTranscription":{}}}`))
	typ, b, _ := ws.Read(ctx)
	fmt.Printf("%v %q\n", typ, b)

	_ = ws.Write(ctx, websocket.MessageText, []byte(`{"realtimeInput":{"text":"hello"}}`))
	var said strings.Builder
	for {
		_, b, err := ws.Read(ctx)
		if err != nil {
			fmt.Println(err)
			return
		}
		var m struct {
			ServerContent struct {
				OutputTranscription struct{ Text string }
				TurnComplete        bool
			}
		}
		_ = json.Unmarshal(b, &m)
		said.WriteString(m.ServerContent.OutputTranscription.Text)
		if m.ServerContent.TurnComplete {
			break
		}
	}
	fmt.Println(said.String())
	ci := s.Conns()[0]
	fmt.Println(ci.Model, ci.Credential, ci.Texts)
	// Output:
	// MessageBinary "{\n  \"setupComplete\": {}\n}\n"
	// Hello to you.
	// models/gemini-3.8-live key-query [hello]
}
