//go:build !race

package aec

const raceEnabled = false
