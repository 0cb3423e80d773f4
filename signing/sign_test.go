package signing_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hookflow/hookflow/signing"
)

const (
	seedSecretA = "sDV1aKqitCLClI12m7UPFbAAvZfZquJw"
	seedSecretB = "mryefgHPBVHJwux0o3BYW7hPM0BZlcCa"
)

func TestReferenceLibraryVerifiesOurSignatureWithEitherSecret(t *testing.T) {
	generated, err := signing.GenerateSecret()
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"id":"evt_1","eventType":"shift.created","createdAt":"2026-11-24T10:00:00Z","data":{"shiftId":"s-1"}}`)
	now := time.Now()
	h, err := signing.Headers("evt_1", now, body, []string{seedSecretA, generated})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Fields(h.Get(signing.HeaderSignature))); n != 2 {
		t.Fatalf("signature header has %d signatures, want one per secret", n)
	}
	for _, secret := range []string{seedSecretA, generated} {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatalf("reference library refuses secret: %v", err)
		}
		if err := wh.Verify(body, h); err != nil {
			t.Errorf("reference library does not verify with %q: %v", secret[:6], err)
		}
		if err := signing.Verify(body, h, secret, now, signing.DefaultTolerance); err != nil {
			t.Errorf("our Verify: %v", err)
		}
	}
	// A secret that was not used, and a changed body, do not verify.
	wh, _ := standardwebhooks.NewWebhook(seedSecretB)
	if err := wh.Verify(body, h); err == nil {
		t.Error("a secret that did not sign verifies")
	}
	if err := signing.Verify(append(body, ' '), h, seedSecretA, now, signing.DefaultTolerance); err == nil {
		t.Error("a tampered body verifies")
	}
}

func TestOurVerifyAcceptsTheReferenceLibrarysSignature(t *testing.T) {
	wh, err := standardwebhooks.NewWebhook("whsec_" + seedSecretB)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"hello":"world"}`)
	now := time.Now()
	sig, err := wh.Sign("msg_2", now, body)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("webhook-id", "msg_2")
	h.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	h.Set("webhook-signature", sig)
	if err := signing.Verify(body, h, seedSecretB, now, signing.DefaultTolerance); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if err := signing.Verify(body, h, seedSecretB, now.Add(10*time.Minute), signing.DefaultTolerance); err != signing.ErrTimestamp {
		t.Errorf("Verify 10 minutes later = %v, want ErrTimestamp", err)
	}
}

func TestDecodeSecretBounds(t *testing.T) {
	tests := []struct {
		secret string
		ok     bool
	}{
		{seedSecretA, true},
		{"whsec_" + seedSecretA, true},
		{"c2hvcnQ=", false},                          // 5 bytes
		{"not base64 at all!", false},                // not base64
		{strings.Repeat("QUFB", 22), false},          // 66 bytes
		{"whsec_" + strings.Repeat("QUFB", 8), true}, // 24 bytes
	}
	for _, tt := range tests {
		_, err := signing.DecodeSecret(tt.secret)
		if (err == nil) != tt.ok {
			t.Errorf("DecodeSecret(%q) error = %v, want ok=%v", tt.secret, err, tt.ok)
		}
	}
}

// A subscription's secret set by hand signs with its UTF-8 bytes; during a
// rotation overlap one header carries the new and the old signature, each
// verifiable by the reference library on its own.
func TestSubscriptionSecretsSignWithTheirBytesAndBothKeysOfARotationVerify(t *testing.T) {
	current, err := signing.GenerateSecret()
	if err != nil {
		t.Fatal(err)
	}
	const handSet = "ecg-secret-key"
	body := []byte(`{"id":"evt_9","eventType":"shift.created","createdAt":"2026-11-24T10:00:00Z","data":{}}`)
	h, err := signing.HeadersWith(signing.DecodeSubscriptionSecret, "evt_9", time.Now(), body, []string{current, handSet})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Fields(h.Get(signing.HeaderSignature))); n != 2 {
		t.Fatalf("%d signatures during the overlap, want 2", n)
	}
	byCurrent, err := standardwebhooks.NewWebhook(current)
	if err != nil {
		t.Fatal(err)
	}
	byOld, err := standardwebhooks.NewWebhookRaw([]byte(handSet))
	if err != nil {
		t.Fatal(err)
	}
	for name, wh := range map[string]*standardwebhooks.Webhook{"new whsec_ key": byCurrent, "old UTF-8 key": byOld} {
		if err := wh.Verify(body, h); err != nil {
			t.Errorf("reference library does not verify with the %s: %v", name, err)
		}
	}
	// After the overlap only the new key signs: the old one no longer verifies.
	after, err := signing.HeadersWith(signing.DecodeSubscriptionSecret, "evt_9", time.Now(), body, []string{current})
	if err != nil {
		t.Fatal(err)
	}
	if err := byOld.Verify(body, after); err == nil {
		t.Error("the rotated-out key verifies a delivery signed after the overlap")
	}
	if err := byCurrent.Verify(body, after); err != nil {
		t.Errorf("the current key: %v", err)
	}
	// A plain string is a key of its own bytes, not base64 (unlike a public webhook's secret).
	if key, err := signing.DecodeSubscriptionSecret(seedSecretA); err != nil || string(key) != seedSecretA {
		t.Errorf("DecodeSubscriptionSecret(%q) = %q, %v; want its bytes", seedSecretA, key, err)
	}
	if _, err := signing.DecodeSubscriptionSecret("whsec_not base64!"); err == nil {
		t.Error("a whsec_ key that is not base64 decodes")
	}
}
