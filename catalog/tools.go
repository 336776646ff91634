package catalog

// Names of the local tools the model may call (the settings' LocalTools list holds them).
const (
	ToolCurrentTime = "get_current_time"
	ToolSnapshot    = "capture_snapshot"
	ToolClipboard   = "copy_to_clipboard"
	ToolHighlight   = "highlight_on_screen"
)

// Tools lists every local tool, in the order Settings shows them.
var Tools = []string{ToolCurrentTime, ToolSnapshot, ToolHighlight, ToolClipboard}
