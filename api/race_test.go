//go:build race

package api_test

// raceDetector reports a -race build, whose every request costs several
// times as much CPU; load tests scale down to it.
const raceDetector = true
