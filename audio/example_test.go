package audio_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/livedesk/livedesk/audio"
)

// A conversation's audio: the microphone feeds the network in 24 ms chunks (three 8 ms periods);
// the model's audio goes to the player tagged with a generation, and an interruption flushes it
// at once.
func Example() {
	ac, err := audio.NewContext(audio.BackendNull, slog.New(slog.DiscardHandler)) // BackendDefault in the app
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ac.Close()
	player, err := ac.OpenPlayer(audio.PlayerConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	mic, err := ac.OpenMic(audio.MicConfig{SpeakerMode: true, FarEnd: player})
	if err != nil {
		fmt.Println(err)
		return
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	chunk, err := mic.Read(ctx) // send this to the model
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("mic chunk:", len(chunk), "bytes")

	gen := player.Generation()
	player.Write(gen, make([]byte, 2*audio.OutputRate/10)) // model audio arrives
	gen = player.Clear()                                   // serverContent.interrupted
	player.Write(gen-1, make([]byte, 960))                 // a late chunk of the old turn: dropped
	fmt.Println("stale chunks dropped:", player.Stats().StaleChunks)
	// Output:
	// mic chunk: 768 bytes
	// stale chunks dropped: 1
}
