package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// PayloadHash is the ECG module's hash of a payload: the lowercase hex
// HMAC-SHA256 of "<createdAt>.<payload>", keyed with the secret as
// subscriptions' secrets are (DecodeSubscriptionSecret).
func PayloadHash(secret string, createdAt int64, payload string) (string, error) {
	key, err := DecodeSubscriptionSecret(secret)
	if err != nil {
		return "", fmt.Errorf("payload hash: %w", err)
	}
	h := hmac.New(sha256.New, key)
	h.Write([]byte(strconv.FormatInt(createdAt, 10)))
	h.Write([]byte{'.'})
	h.Write([]byte(payload))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ValidPayloadHash reports whether hash is the payload's hash under any of
// secrets, compared in constant time.
func ValidPayloadHash(secrets []string, createdAt int64, payload, hash string) bool {
	got, err := hex.DecodeString(strings.ToLower(hash))
	if err != nil {
		return false
	}
	for _, s := range secrets {
		want, err := PayloadHash(s, createdAt, payload)
		if err != nil {
			continue
		}
		raw, _ := hex.DecodeString(want)
		if hmac.Equal(got, raw) {
			return true
		}
	}
	return false
}
