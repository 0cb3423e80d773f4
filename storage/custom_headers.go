package storage

import (
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/hookflow/hookflow/sealing"
)

// A webhook's custom headers are stored as one JSON object in
// webhooks.sealed_headers, sealed like secrets: bound to the webhook's id
// (and to their purpose, so a sealed value of another column never opens
// as headers). No headers is NULL.

// headersContext is the sealing context of webhook id's headers.
func headersContext(id uuid.UUID) []byte {
	return append(id[:], "headers"...)
}

// sealHeaders seals the headers of webhook id; none seal to nil (NULL).
func sealHeaders(ring *sealing.KeyRing, id uuid.UUID, headers map[string]string) (*string, error) {
	if len(headers) == 0 {
		return nil, nil
	}
	plain, err := json.Marshal(headers)
	if err != nil {
		return nil, fmt.Errorf("encode headers of webhook %s: %w", id, err)
	}
	sealed, err := ring.Seal(plain, headersContext(id))
	if err != nil {
		return nil, fmt.Errorf("seal headers of webhook %s: %w", id, err)
	}
	return &sealed, nil
}

// openHeaders opens what sealHeaders sealed; NULL opens as no headers.
func openHeaders(ring *sealing.KeyRing, id uuid.UUID, sealed *string) (map[string]string, error) {
	if sealed == nil {
		return nil, nil
	}
	plain, err := ring.Open(*sealed, headersContext(id))
	if err != nil {
		return nil, fmt.Errorf("open headers of webhook %s: %w", id, err)
	}
	var headers map[string]string
	if err := json.Unmarshal(plain, &headers); err != nil {
		return nil, fmt.Errorf("decode headers of webhook %s: %w", id, err)
	}
	return headers, nil
}
