package signing_test

import (
	"testing"
	"time"

	"github.com/hookflow/hookflow/signing"
)

func BenchmarkHeadersTwoSecrets(b *testing.B) {
	body := []byte(`{"id":"evt_1","eventType":"shift.created","createdAt":"2026-11-24T10:00:00Z","data":{"shiftId":"s-1","role":"RN","facilityId":"P-1"}}`)
	secrets := []string{seedSecretA, seedSecretB}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := signing.Headers("evt_1", now, body, secrets); err != nil {
			b.Fatal(err)
		}
	}
}
