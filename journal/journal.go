// Package journal keeps each conversation's transcript on disk as it happens, so a crash, a
// closed window or a power cut loses at most the turn in progress. A conversation is one file
// of JSON lines in a directory: a header line, then one line per transcript piece. Lines are
// appended and never rewritten; a completed turn is synced to disk. Reading tolerates a torn
// last line (the crash case). Nothing else — no key, no audio, no settings — is written.
package journal

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Version is the format of the header's "v".
const Version = 1

// Header is the first line of a conversation file.
type Header struct {
	V       int       `json:"v"`
	Started time.Time `json:"started"`
	Model   string    `json:"model,omitempty"`
}

// Entry is one transcript piece, in the order it happened. Text is a delta to append to the
// open turn of Role; Final closes it. Sources attach to the latest model turn.
type Entry struct {
	At          time.Time `json:"at"`
	Role        string    `json:"role,omitempty"` // "user" or "model"
	Text        string    `json:"text,omitempty"`
	Final       bool      `json:"final,omitempty"`
	Interrupted bool      `json:"interrupted,omitempty"`
	Sources     []Source  `json:"sources,omitempty"`
	Note        string    `json:"note,omitempty"` // something shown in the transcript, not said
}

// Source is a grounding link.
type Source struct {
	Title string `json:"title,omitempty"`
	URL   string `json:"url"`
}

// Roles as written.
const (
	RoleUser  = "user"
	RoleModel = "model"
)

// Dir is the default directory of conversations: $XDG_DATA_HOME/livedesk/conversations (or
// ~/.local/share/… on Linux), the user's configuration directory elsewhere.
func Dir() (string, error) {
	if runtime.GOOS == "linux" || runtime.GOOS == "freebsd" || runtime.GOOS == "openbsd" {
		if d := os.Getenv("XDG_DATA_HOME"); d != "" {
			return filepath.Join(d, "livedesk", "conversations"), nil
		}
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("conversation history: %w", err)
		}
		return filepath.Join(home, ".local", "share", "livedesk", "conversations"), nil
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("conversation history: %w", err)
	}
	return filepath.Join(d, "livedesk", "conversations"), nil
}

// Writer appends one conversation. It is not safe for concurrent use.
type Writer struct {
	f    *os.File
	w    *bufio.Writer
	path string
	n    int   // entries written
	err  error // the first write error; later writes are skipped
}

// Create starts a conversation file in dir (created with 0700 if missing). The file is only
// readable by the user: a transcript is private.
func Create(dir string, h Header) (*Writer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("conversation history: %w", err)
	}
	if h.V == 0 {
		h.V = Version
	}
	name := h.Started.UTC().Format("20060102T150405.000000000Z") + ".jsonl"
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("conversation history: %w", err)
	}
	jw := &Writer{f: f, w: bufio.NewWriter(f), path: path}
	jw.line(h)
	if err := jw.sync(); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return jw, nil
}

// Path is the file being written.
func (w *Writer) Path() string { return w.path }

// Add appends an entry. A final entry (a completed turn) is synced to disk before Add returns.
func (w *Writer) Add(e Entry) error {
	w.n++
	w.line(e)
	if e.Final || len(e.Sources) > 0 || e.Note != "" {
		return w.sync()
	}
	return w.err
}

func (w *Writer) line(v any) {
	if w.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		w.err = fmt.Errorf("conversation history: %w", err)
		return
	}
	b = append(b, '\n')
	if _, err := w.w.Write(b); err != nil {
		w.err = fmt.Errorf("conversation history: %w", err)
	}
}

func (w *Writer) sync() error {
	if w.err != nil {
		return w.err
	}
	if err := w.w.Flush(); err != nil {
		w.err = fmt.Errorf("conversation history: %w", err)
		return w.err
	}
	if err := w.f.Sync(); err != nil {
		w.err = fmt.Errorf("conversation history: %w", err)
	}
	return w.err
}

// Close syncs and closes the file. A conversation in which nothing was said is removed.
func (w *Writer) Close() error {
	err := w.sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if w.n == 0 {
		os.Remove(w.path)
	}
	return err
}

// Conversation is one conversation file, read back.
type Conversation struct {
	Path    string
	Header  Header
	Entries []Entry
	Torn    bool // the last line was cut off (the app stopped while writing it)
}

// Title is a short description: the first thing the user said, or the start time.
func (c *Conversation) Title() string {
	for _, e := range c.Entries {
		if e.Role == RoleUser && strings.TrimSpace(e.Text) != "" {
			t := strings.Join(strings.Fields(e.Text), " ")
			if r := []rune(t); len(r) > 60 {
				t = string(r[:60]) + "…"
			}
			return t
		}
	}
	return c.Header.Started.Local().Format("2006-01-02 15:04")
}

// MaxFileSize bounds what Read loads: a conversation of a whole day is a few megabytes.
const MaxFileSize = 64 << 20

// Read loads a conversation file. Lines that do not parse are skipped; only a cut-off last
// line is expected (a crash while writing).
func Read(path string) (*Conversation, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read conversation: %w", err)
	}
	defer f.Close()
	c := &Conversation{Path: path}
	r := bufio.NewReader(io.LimitReader(f, MaxFileSize))
	first := true
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			complete := line[len(line)-1] == '\n'
			if first {
				first = false
				if jerr := json.Unmarshal(line, &c.Header); jerr != nil || c.Header.V == 0 {
					return nil, fmt.Errorf("read conversation %s: not a Live Desk conversation", filepath.Base(path))
				}
			} else {
				var e Entry
				if jerr := json.Unmarshal(line, &e); jerr == nil {
					c.Entries = append(c.Entries, e)
				} else if !complete {
					c.Torn = true
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return c, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read conversation: %w", err)
		}
	}
}

// List returns the conversations in dir, newest first (a missing dir is an empty list).
func List(dir string) ([]*Conversation, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("conversation history: %w", err)
	}
	slices.Sort(names)
	slices.Reverse(names)
	var out []*Conversation
	for _, n := range names {
		c, err := Read(n)
		if err != nil {
			continue // not ours, or unreadable: the list shows what it can
		}
		out = append(out, c)
	}
	return out, nil
}

// Remove deletes a conversation file.
func Remove(path string) error {
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("delete conversation: %w", err)
	}
	return nil
}
