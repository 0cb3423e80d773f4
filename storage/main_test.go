package storage_test

import (
	"os"
	"testing"

	"github.com/hookflow/hookflow/internal/testenv"
)

var testDB *testenv.Database

func TestMain(m *testing.M) {
	os.Exit(testenv.Main(m, "storage", &testDB))
}
