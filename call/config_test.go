package call

import (
	"testing"

	"github.com/livedesk/livedesk/settings"
)

func TestStartSensitivity(t *testing.T) {
	tests := []struct {
		name       string
		chosen     string
		headphones bool
		want       string
	}{
		{"speakers, left to the app: LOW against echo", "", false, "START_SENSITIVITY_LOW"},
		{"headphones, left to the app: the server's", "", true, ""},
		{"speakers, HIGH chosen", "HIGH", false, "START_SENSITIVITY_HIGH"},
		{"headphones, LOW chosen", "low", true, "START_SENSITIVITY_LOW"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := settings.Default()
			s.StartSensitivity, s.Headphones = tt.chosen, tt.headphones
			if got := LiveConfig(s).StartSensitivity; got != tt.want {
				t.Errorf("StartSensitivity = %q, want %q", got, tt.want)
			}
		})
	}
}
