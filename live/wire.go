package live

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Int64 is a proto3-JSON int64: written as a JSON string (as Google's SDKs do) and read from either
// a string or a number.
type Int64 int64

// MarshalJSON writes the value as a quoted decimal string.
func (n Int64) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatInt(int64(n), 10) + `"`), nil
}

// UnmarshalJSON accepts "123", 123, 123.0 and null.
func (n *Int64) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("int64: %w", err)
		}
		s = strings.TrimSpace(s)
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		*n = Int64(v)
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > math.MaxInt64 {
		return fmt.Errorf("int64: cannot parse %q", s)
	}
	*n = Int64(f)
	return nil
}

// Duration is a google.protobuf.Duration in its JSON form: a decimal number of seconds with an
// "s" suffix ("50s", "9.5s", "8.400s"). Reading also accepts a bare number of seconds, a Go
// duration string ("1m30s") and the {"seconds":…, "nanos":…} object form.
type Duration time.Duration

// MarshalJSON writes the proto form, e.g. "1.500s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(formatProtoDuration(time.Duration(d)))
}

// UnmarshalJSON parses every form Duration accepts.
func (d *Duration) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		return nil
	case len(b) > 0 && b[0] == '{':
		var o struct {
			Seconds Int64 `json:"seconds"`
			Nanos   int64 `json:"nanos"`
		}
		if err := json.Unmarshal(b, &o); err != nil {
			return fmt.Errorf("duration: %w", err)
		}
		*d = Duration(time.Duration(o.Seconds)*time.Second + time.Duration(o.Nanos))
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("duration: %w", err)
		}
		v, err := parseProtoDuration(s)
		if err != nil {
			return err
		}
		*d = Duration(v)
		return nil
	default:
		f, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			return fmt.Errorf("duration: cannot parse %s", b)
		}
		*d = Duration(f * float64(time.Second))
		return nil
	}
}

// Std returns the value as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

func parseProtoDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if num, ok := strings.CutSuffix(s, "s"); ok {
		if f, err := strconv.ParseFloat(num, 64); err == nil {
			if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > math.MaxInt64/float64(time.Second) {
				return 0, fmt.Errorf("duration: out of range %q", s)
			}
			return time.Duration(math.Round(f * float64(time.Second))), nil
		}
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("duration: cannot parse %q", s)
	}
	return v, nil
}

func formatProtoDuration(d time.Duration) string {
	secs := d / time.Second
	frac := d % time.Second
	if frac == 0 {
		return strconv.FormatInt(int64(secs), 10) + "s"
	}
	sign := ""
	if d < 0 {
		sign, secs, frac = "-", -secs, -frac
	}
	f := fmt.Sprintf("%09d", int64(frac))
	switch {
	case strings.HasSuffix(f, "000000"):
		f = f[:3]
	case strings.HasSuffix(f, "000"):
		f = f[:6]
	}
	return sign + strconv.FormatInt(int64(secs), 10) + "." + f + "s"
}
