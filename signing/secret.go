// Package signing signs webhook payloads the Standard Webhooks way and holds
// the rules for webhook secrets.
package signing

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// SecretPrefix marks a Standard Webhooks secret.
const SecretPrefix = "whsec_"

// Key sizes accepted for a secret, in bytes after base64 decoding.
const (
	MinSecretBytes = 24
	MaxSecretBytes = 64
)

// ErrInvalidSecret says a secret is not a Standard Webhooks key.
var ErrInvalidSecret = errors.New("secret must be base64 of 24 to 64 bytes, optionally prefixed with whsec_")

// GenerateSecret returns a fresh secret: whsec_ and base64 of 32 random bytes.
func GenerateSecret() (string, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("generate secret: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(key), nil
}

// DecodeSecret returns the HMAC key of a secret, as Standard Webhooks
// libraries decode it.
func DecodeSecret(secret string) ([]byte, error) {
	raw := strings.TrimPrefix(secret, SecretPrefix)
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return nil, ErrInvalidSecret
	}
	if len(key) < MinSecretBytes || len(key) > MaxSecretBytes {
		return nil, ErrInvalidSecret
	}
	return key, nil
}

// KeyDecoder turns a stored secret into its HMAC key.
type KeyDecoder func(secret string) ([]byte, error)

// Subscription secret lengths, in characters, for a secret set by hand.
const (
	MinSubscriptionSecretLength = 8
	MaxSubscriptionSecretLength = 256
)

// DecodeSubscriptionSecret returns the HMAC key of an organization
// subscription's secret (ECG module): a whsec_ key as Standard Webhooks
// decodes it, any other string its UTF-8 bytes.
func DecodeSubscriptionSecret(secret string) ([]byte, error) {
	if strings.HasPrefix(secret, SecretPrefix) {
		return DecodeSecret(secret)
	}
	if secret == "" {
		return nil, ErrInvalidSecret
	}
	return []byte(secret), nil
}
