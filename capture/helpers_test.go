package capture_test

import (
	"context"
	"io"
	"log"
	"os"
	"testing"

	"github.com/jezek/xgb"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(holdX{m})
}

// holdX keeps one connection to the test environment's X server open while
// the tests run. An X server without -noreset resets whenever its last
// client disconnects, and a test connecting during that reset gets
// "connection reset by peer".
type holdX struct{ m *testing.M }

func (h holdX) Run() int {
	xgb.Logger = log.New(io.Discard, "", 0) // no ~/.Xauthority under Xvfb: two lines per connection
	if os.Getenv("LIVEDESK_TESTENV") != "" && os.Getenv("DISPLAY") != "" {
		if c, err := xgb.NewConn(); err == nil {
			defer c.Close()
		}
	}
	return h.m.Run()
}

func contextWithCancel(t *testing.T) (context.Context, context.CancelFunc) {
	return context.WithCancel(t.Context())
}
