package hookflow

import (
	"strings"
	"unicode/utf8"
)

// Limits on what callers may send. Each keeps a value within what
// PostgreSQL can index, Temporal accepts as an id and an HTTP header can
// carry, so an input that can never be stored is refused up front with a
// 400 (or a 401 for a token) instead of failing later. docs/api.md lists
// them with the message each produces.
const (
	// MaxIDLength bounds every caller-chosen identifier: event ids,
	// facilityId, clientId, organizationId, facilities entries and the
	// token claims sub, client_id, org_id and roles entries.
	MaxIDLength = 255
	// MaxIdempotencyKeyLength bounds a manual retry's Idempotency-Key; the
	// key becomes part of a Temporal workflow id (at most 1,000 characters).
	MaxIdempotencyKeyLength = 255
	// MaxURLLength bounds a webhook URL.
	MaxURLLength = 2048
	// MaxFacilities bounds a webhook's facilities, the facilitiesIds of a
	// log search and the facilities claim of a token.
	MaxFacilities = 1000
	// MaxRoles bounds the roles claim of a token.
	MaxRoles = 16
	// MaxLogLimit is the largest page of a log search (seed 004).
	MaxLogLimit = 100
	// MaxLogOffset bounds a log search's offset: a deeper page than the
	// capped total (MaxLogTotal) cannot be navigated to meaningfully.
	MaxLogOffset = MaxLogTotal
	// MaxSigningSecrets bounds the secrets of a subscription that sign at
	// once: the current one and the rotated-out ones still in their
	// overlap. Every attempt computes one HMAC per secret and sends and
	// stores one signature each, so a rotation storm must not grow them; a
	// rotation beyond the bound ends the oldest overlap early.
	MaxSigningSecrets = 3
)

// IDCharacters names the characters a published event id and an
// Idempotency-Key may use: they travel in HTTP headers (webhook-id) and
// Temporal ids, so nothing that needs escaping.
const IDCharacters = "A-Z a-z 0-9 . _ : ~ -"

// IsText reports whether s is valid UTF-8 without NUL characters, which
// PostgreSQL's text and jsonb cannot store.
func IsText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// IsHeaderSafeID reports whether s uses only IDCharacters.
func IsHeaderSafeID(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.', c == '_', c == ':', c == '~', c == '-':
		default:
			return false
		}
	}
	return true
}
