package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"testing"
)

func TestPayloadHashKeysWhsecSecretsByTheirDecodedBytes(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	secret := "whsec_" + base64.StdEncoding.EncodeToString(key)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(`12345.{"vitals":100}`))
	want := hex.EncodeToString(mac.Sum(nil))
	got, err := PayloadHash(secret, 12345, `{"vitals":100}`)
	if err != nil || got != want {
		t.Fatalf("hash = %q, %v; want %q", got, err, want)
	}
	if !ValidPayloadHash([]string{"other-secret", secret}, 12345, `{"vitals":100}`, want) {
		t.Error("a hash under the second secret did not validate")
	}
	if ValidPayloadHash([]string{secret}, 12346, `{"vitals":100}`, want) {
		t.Error("a hash validated for another createdAt")
	}
}

func TestPayloadHashKeysOtherSecretsByTheirUTF8Bytes(t *testing.T) {
	mac := hmac.New(sha256.New, []byte("ecg-secret-key"))
	mac.Write([]byte("7.{vitals:100}"))
	want := hex.EncodeToString(mac.Sum(nil))
	if got, err := PayloadHash("ecg-secret-key", 7, "{vitals:100}"); err != nil || got != want {
		t.Fatalf("hash = %q, %v; want %q", got, err, want)
	}
	if ValidPayloadHash([]string{"ecg-secret-key"}, 7, "{vitals:100}", "not-hex") {
		t.Error("a malformed hash validated")
	}
}
