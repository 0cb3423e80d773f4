//go:build !race

package api_test

// raceDetector reports a -race build (race_test.go).
const raceDetector = false
