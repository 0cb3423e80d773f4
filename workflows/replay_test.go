package workflows_test

import (
	"path/filepath"
	"testing"

	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/workflows"
)

// TestReplay replays every recorded history (testdata/*.json, see
// TestRecordHistories) against the workflows as they are now: a change that
// would break a running delivery of any shape still kept (the inline
// attempt, the legacy split and one-step attempts, manual retries) fails
// here with a nondeterminism error.
func TestReplay(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no recorded histories in testdata/")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			replayer := worker.NewWorkflowReplayer()
			replayer.RegisterWorkflow(workflows.DeliveryWorkflow)
			replayer.RegisterWorkflow(workflows.ManualRetryWorkflow)
			if err := replayer.ReplayWorkflowHistoryFromJSONFile(sdklog.NewStructuredLogger(testenv.DiscardLogger()), file); err != nil {
				t.Fatalf("%s no longer replays: %v", file, err)
			}
		})
	}
}
