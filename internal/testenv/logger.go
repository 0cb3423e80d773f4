package testenv

import (
	"io"
	"log/slog"

	sdklog "go.temporal.io/sdk/log"
)

func quietTemporalLogger() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// DiscardLogger is a logger for code under test whose output is noise.
func DiscardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
