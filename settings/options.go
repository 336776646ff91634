package settings

// Sensitivities are the values of StartSensitivity and EndSensitivity ("" = server default).
var Sensitivities = []string{"", "HIGH", "LOW"}

// MediaResolutions are the values of MediaResolution ("" = server default).
var MediaResolutions = []string{"", "LOW", "MEDIUM", "HIGH"}

// ThinkingLevels are the values of ThinkingLevel ("" = model default).
var ThinkingLevels = []string{"", "MINIMAL", "LOW", "MEDIUM", "HIGH"}

// ActivityHandlings are the values of ActivityHandling.
var ActivityHandlings = []string{ActivityInterrupts, ActivityNoInterruption}

// Frame policies (FramePolicy): when a shared screen or camera is sent.
const (
	FramesWhileTalking = "talking" // the default: what the user pays for follows what they do
	FramesAlways       = "always"
	FramesWhenAsked    = "asked"
)

// FramePolicies are the values of FramePolicy.
var FramePolicies = []string{FramesWhileTalking, FramesAlways, FramesWhenAsked}

// EchoModes are the values of EchoCancellation.
var EchoModes = []string{EchoAuto, EchoOn, EchoOff}

// Limits of the numeric fields, inclusive.
const (
	MinFPS           = 0.2
	MaxFPS           = 2.0
	MinMaxSize       = 256
	MaxMaxSize       = 3840
	MinJPEGQuality   = 1
	MaxJPEGQuality   = 100
	MaxPaddingMs     = 10000
	MaxSilenceMs     = 10000
	MaxVolume        = 2.0
	MaxInstructionKB = 64
	MaxIdleFrameSec  = 60
)

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}
