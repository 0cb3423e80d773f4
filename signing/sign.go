package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks header names.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// DefaultTolerance is how far a timestamp may be from now when verifying.
const DefaultTolerance = 5 * time.Minute

// Verification errors.
var (
	ErrMissingHeaders   = errors.New("missing webhook-id, webhook-timestamp or webhook-signature header")
	ErrTimestamp        = errors.New("webhook-timestamp is outside the tolerance")
	ErrNoValidSignature = errors.New("no signature matches")
)

// Sign returns the webhook-signature value for a message: one "v1,<base64>"
// per secret, space separated, so receivers holding either secret of a
// rotation can verify.
func Sign(msgID string, ts time.Time, body []byte, secrets []string) (string, error) {
	return SignWith(DecodeSecret, msgID, ts, body, secrets)
}

// SignWith is Sign with secrets turned into keys by decode.
func SignWith(decode KeyDecoder, msgID string, ts time.Time, body []byte, secrets []string) (string, error) {
	if len(secrets) == 0 {
		return "", errors.New("sign: no secrets")
	}
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		key, err := decode(s)
		if err != nil {
			return "", fmt.Errorf("sign: %w", err)
		}
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(mac(key, msgID, ts.Unix(), body)))
	}
	return strings.Join(sigs, " "), nil
}

// Headers returns the three Standard Webhooks headers of a signed message.
func Headers(msgID string, ts time.Time, body []byte, secrets []string) (http.Header, error) {
	return HeadersWith(DecodeSecret, msgID, ts, body, secrets)
}

// HeadersWith is Headers with secrets turned into keys by decode.
func HeadersWith(decode KeyDecoder, msgID string, ts time.Time, body []byte, secrets []string) (http.Header, error) {
	sig, err := SignWith(decode, msgID, ts, body, secrets)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set(HeaderID, msgID)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, sig)
	return h, nil
}

// Verify checks a received message against a secret, as a Go receiver would:
// the timestamp within tolerance of now and one v1 signature matching.
func Verify(body []byte, h http.Header, secret string, now time.Time, tolerance time.Duration) error {
	return VerifyWith(DecodeSecret, body, h, secret, now, tolerance)
}

// VerifyWith is Verify with the secret turned into its key by decode.
func VerifyWith(decode KeyDecoder, body []byte, h http.Header, secret string, now time.Time, tolerance time.Duration) error {
	id, tsHeader, sigHeader := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsHeader == "" || sigHeader == "" {
		return ErrMissingHeaders
	}
	ts, err := strconv.ParseInt(tsHeader, 10, 64)
	if err != nil {
		return fmt.Errorf("parse webhook-timestamp: %w", err)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return ErrTimestamp
	}
	key, err := decode(secret)
	if err != nil {
		return err
	}
	want := mac(key, id, ts, body)
	for _, sig := range strings.Fields(sigHeader) {
		version, encoded, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(encoded)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrNoValidSignature
}

func mac(key []byte, msgID string, ts int64, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msgID))
	h.Write([]byte{'.'})
	h.Write([]byte(strconv.FormatInt(ts, 10)))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}
