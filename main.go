// Command livedesk is a desktop assistant for talking with Gemini through the Live API while
// showing it your screen or webcam.
//
//	livedesk [--endpoint URL] [--connect] [--share screen[:N|all]|camera[:DEV]] [--demo]   the window
//	livedesk talk [flags]   a spoken conversation in the terminal
//	livedesk ask  [flags]   one question from files (WAV/text/images) to a WAV answer
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"runtime/trace"
	"syscall"

	"github.com/livedesk/livedesk/cli"
	"github.com/livedesk/livedesk/internal/timerslack"
	_ "github.com/livedesk/livedesk/ui/plainlocale" // before Fyne reads the locale
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	// For developers: LIVEDESK_CPUPROFILE=FILE writes a CPU profile of the whole run (go tool
	// pprof), to find what costs CPU in a mode, e.g. the window while live; LIVEDESK_TRACE=FILE
	// writes a runtime execution trace (go tool trace), to see what wakes goroutines and how often
	// when a mode should be quiet.
	defer record("LIVEDESK_CPUPROFILE", pprof.StartCPUProfile, pprof.StopCPUProfile)()
	defer record("LIVEDESK_TRACE", trace.Start, trace.Stop)()
	if _, ok := timerslack.Applied(); !ok {
		fmt.Fprintln(os.Stderr, "livedesk: timer slack left as it was (LIVEDESK_TIMERSLACK_NS takes nanoseconds, 0 to 50000000)")
	}
	if len(args) > 0 {
		switch args[0] {
		case "ask", "talk":
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if args[0] == "ask" {
				return cli.Ask(ctx, args[1:], os.Stdout, os.Stderr, osEnv{})
			}
			return cli.Talk(ctx, args[1:], os.Stdout, os.Stderr, osEnv{})
		case "help", "-h", "-help", "--help":
			fmt.Fprint(os.Stdout, usage)
			return 0
		}
	}
	return runGUI(args)
}

const usage = `livedesk: talk with Gemini while it sees your screen or webcam.

  livedesk [--endpoint URL] [--connect] [--share screen[:N|all]|camera[:DEV]] [--demo]
        open the window (the default)
  livedesk ask [--endpoint URL] [--model M] [--voice V] [--system TEXT] [--in FILE.wav]
        [--text TEXT] [--image FILE]... [--out FILE.wav] [--timeout DUR]
        ask one question from files and save the spoken answer
  livedesk talk [--mic DEVICE] [--speaker DEVICE] [--screen N | --camera DEV]
        [--duration D] [--endpoint URL] [--list-devices]
        hold a spoken conversation in the terminal

ask and talk reach Vertex AI (Google Cloud) with --api vertex --project ID [--location L]
[--credentials KEY.json]; without --credentials, Application Default Credentials are used.
The API key comes from GEMINI_API_KEY (or GOOGLE_API_KEY), or from Settings in the window.
`

// osEnv is the process environment, for the terminal modes.
type osEnv struct{}

func (osEnv) Getenv(k string) string { return os.Getenv(k) }

// record starts a recording into the file the environment variable names, if it names one, and
// returns what ends it.
func record(env string, start func(io.Writer) error, stop func()) (end func()) {
	path := os.Getenv(env)
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		if err = start(f); err != nil {
			f.Close()
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "livedesk: %s: %v\n", env, err)
		return func() {}
	}
	return func() {
		stop()
		f.Close()
	}
}
