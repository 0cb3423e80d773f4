// Package sealing encrypts secrets at rest with envelope encryption: each
// secret is sealed with AES-256-GCM under a random data key of its own, and
// that data key is wrapped with AES-256-GCM under a key of the key ring.
// Rotating the ring's key re-wraps the 32-byte data keys only; the sealed
// secret itself never changes.
//
// A key ring is written as a comma-separated list, newest first, of
// id:base64(32 bytes), e.g. "2024-06:<base64>,2024-01:<base64>". The newest
// key seals; any key of the ring opens what it sealed. An id is 1 to 64
// characters of letters, digits, '.', '_' and '-'.
//
// A sealed value is text: "v1:<key id>:<wrapped data key>:<sealed secret>",
// the last two base64 (standard, padded) of nonce || AES-GCM output. Both
// seals authenticate a caller's context (e.g. the row's id), so a sealed
// value copied to another row does not open.
package sealing

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the size of a ring key and of a data key: AES-256.
const KeySize = 32

const (
	version   = "v1"
	maxIDSize = 64
)

// ErrOpen is returned when a sealed value does not open: the wrong key, the
// wrong context, or a damaged value. It says no more, on purpose.
var ErrOpen = errors.New("sealed value does not open")

// KeyRing holds the keys that wrap data keys, newest first. It is safe for
// concurrent use.
type KeyRing struct {
	keys []ringKey
}

type ringKey struct {
	id   string
	raw  []byte
	aead cipher.AEAD
}

// ParseKeyRing reads a key ring written as "id:base64,id:base64", newest
// first. Every problem is reported, naming the entry by position.
func ParseKeyRing(spec string) (*KeyRing, error) {
	var (
		ring KeyRing
		errs []error
		seen = map[string]bool{}
	)
	if strings.TrimSpace(spec) == "" {
		return nil, errors.New("no key: want a comma-separated list of id:base64(32 bytes), newest first")
	}
	for i, entry := range strings.Split(spec, ",") {
		id, encoded, ok := strings.Cut(strings.TrimSpace(entry), ":")
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("entry %d: want id:base64(32 bytes)", i+1))
			continue
		case !validID(id):
			errs = append(errs, fmt.Errorf("entry %d: key id %q must be 1 to %d characters of letters, digits, '.', '_' or '-'", i+1, id, maxIDSize))
			continue
		case seen[id]:
			errs = append(errs, fmt.Errorf("entry %d: key id %q appears twice", i+1, id))
			continue
		}
		seen[id] = true
		raw, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil || len(raw) != KeySize {
			errs = append(errs, fmt.Errorf("entry %d (%s): key must be standard base64 of exactly %d bytes (openssl rand -base64 32)", i+1, id, KeySize))
			continue
		}
		aead, err := newAEAD(raw)
		if err != nil {
			return nil, err
		}
		ring.keys = append(ring.keys, ringKey{id: id, raw: raw, aead: aead})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &ring, nil
}

func validID(id string) bool {
	if id == "" || len(id) > maxIDSize {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("aes key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("aes-gcm: %w", err)
	}
	return aead, nil
}

// CurrentKeyID names the newest key, the one that seals.
func (r *KeyRing) CurrentKeyID() string { return r.keys[0].id }

// KeyIDs lists the ring's key ids, newest first.
func (r *KeyRing) KeyIDs() []string {
	ids := make([]string, len(r.keys))
	for i, k := range r.keys {
		ids[i] = k.id
	}
	return ids
}

// Holds reports whether key is one of the ring's keys, for refusing a
// well-known key.
func (r *KeyRing) Holds(key []byte) bool {
	for _, k := range r.keys {
		if subtle.ConstantTimeCompare(k.raw, key) == 1 {
			return true
		}
	}
	return false
}

func (r *KeyRing) key(id string) (ringKey, bool) {
	for _, k := range r.keys {
		if k.id == id {
			return k, true
		}
	}
	return ringKey{}, false
}

// Seal encrypts plaintext under a fresh data key wrapped by the newest key,
// bound to context.
func (r *KeyRing) Seal(plaintext, context []byte) (string, error) {
	dataKey := make([]byte, KeySize)
	if _, err := rand.Read(dataKey); err != nil {
		return "", fmt.Errorf("data key: %w", err)
	}
	dataAEAD, err := newAEAD(dataKey)
	if err != nil {
		return "", err
	}
	sealed, err := seal(dataAEAD, plaintext, dataAAD(context))
	if err != nil {
		return "", err
	}
	current := r.keys[0]
	wrapped, err := seal(current.aead, dataKey, wrapAAD(current.id, context))
	if err != nil {
		return "", err
	}
	return format(current.id, wrapped, sealed), nil
}

// Open decrypts a value Seal made with context, under whichever key of the
// ring it names.
func (r *KeyRing) Open(value string, context []byte) ([]byte, error) {
	p, err := parse(value)
	if err != nil {
		return nil, err
	}
	dataKey, err := r.unwrap(p, context)
	if err != nil {
		return nil, err
	}
	dataAEAD, err := newAEAD(dataKey)
	if err != nil {
		return nil, err
	}
	plaintext, err := open(dataAEAD, p.sealed, dataAAD(context))
	if err != nil {
		return nil, ErrOpen
	}
	return plaintext, nil
}

// Rewrap wraps the data key of value under the newest key, leaving the
// sealed secret as it is. A value already under the newest key comes back
// unchanged with rewrapped false.
func (r *KeyRing) Rewrap(value string, context []byte) (out string, rewrapped bool, err error) {
	p, err := parse(value)
	if err != nil {
		return "", false, err
	}
	current := r.keys[0]
	if p.keyID == current.id {
		return value, false, nil
	}
	dataKey, err := r.unwrap(p, context)
	if err != nil {
		return "", false, err
	}
	wrapped, err := seal(current.aead, dataKey, wrapAAD(current.id, context))
	if err != nil {
		return "", false, err
	}
	return format(current.id, wrapped, p.sealed), true, nil
}

func (r *KeyRing) unwrap(p parts, context []byte) ([]byte, error) {
	k, ok := r.key(p.keyID)
	if !ok {
		return nil, fmt.Errorf("sealed under key %q, which the key ring does not hold", p.keyID)
	}
	dataKey, err := open(k.aead, p.wrapped, wrapAAD(k.id, context))
	if err != nil || len(dataKey) != KeySize {
		return nil, ErrOpen
	}
	return dataKey, nil
}

// KeyID names the ring key a sealed value is wrapped under.
func KeyID(value string) (string, error) {
	p, err := parse(value)
	if err != nil {
		return "", err
	}
	return p.keyID, nil
}

// The additional data names the purpose, so that a wrapped data key can
// never be taken for a sealed secret or the other way round, and the key id,
// so that the id in the text cannot be swapped.
func wrapAAD(keyID string, context []byte) []byte {
	return append([]byte("hookflow/sealing/v1/data-key/"+keyID+"/"), context...)
}

func dataAAD(context []byte) []byte {
	return append([]byte("hookflow/sealing/v1/secret/"), context...)
}

func seal(aead cipher.AEAD, plaintext, aad []byte) ([]byte, error) {
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	return aead.Seal(nonce, nonce, plaintext, aad), nil
}

func open(aead cipher.AEAD, box, aad []byte) ([]byte, error) {
	if len(box) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrOpen
	}
	return aead.Open(nil, box[:aead.NonceSize()], box[aead.NonceSize():], aad)
}

type parts struct {
	keyID           string
	wrapped, sealed []byte
}

func format(keyID string, wrapped, sealed []byte) string {
	return version + ":" + keyID + ":" + base64.StdEncoding.EncodeToString(wrapped) + ":" + base64.StdEncoding.EncodeToString(sealed)
}

func parse(value string) (parts, error) {
	fields := strings.Split(value, ":")
	if len(fields) != 4 || fields[0] != version || !validID(fields[1]) {
		return parts{}, errors.New("not a sealed value of format " + version)
	}
	wrapped, err1 := base64.StdEncoding.DecodeString(fields[2])
	sealed, err2 := base64.StdEncoding.DecodeString(fields[3])
	if err := errors.Join(err1, err2); err != nil {
		return parts{}, errors.New("not a sealed value of format " + version + ": bad base64")
	}
	return parts{keyID: fields[1], wrapped: wrapped, sealed: sealed}, nil
}
