package capture

// Exported for the external tests and benchmarks.
var DesktopLike = desktopLike
