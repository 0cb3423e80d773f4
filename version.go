package hookflow

// Version is the build's version, stamped by the Makefile with
// -ldflags "-X github.com/hookflow/hookflow.Version=...".
var Version = "dev"

// UserAgent is sent with every delivery.
func UserAgent() string { return "Hookflow/" + Version }
