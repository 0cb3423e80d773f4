package main

import (
	"os"
	"testing"
)

// TestMain runs the commands in development: they mint and verify tokens
// with the development key, which production (the default) refuses. A test
// of production sets HOOKFLOW_ENV itself with t.Setenv.
func TestMain(m *testing.M) {
	if err := os.Setenv("HOOKFLOW_ENV", "development"); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}
