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

// recordedHeadersContext is the sealing context of the custom headers an
// attempt of delivery id recorded: bound to the delivery, which the
// intent's row and the attempt's share.
func recordedHeadersContext(id uuid.UUID) []byte {
	return append(id[:], "recorded-headers"...)
}

// sealRecordedHeaders seals the custom headers an attempt of delivery id
// sent; none seal to nil (NULL).
func sealRecordedHeaders(ring *sealing.KeyRing, deliveryID uuid.UUID, headers map[string]string) (*string, error) {
	if len(headers) == 0 {
		return nil, nil
	}
	plain, err := json.Marshal(headers)
	if err != nil {
		return nil, fmt.Errorf("encode recorded headers of delivery %s: %w", deliveryID, err)
	}
	sealed, err := ring.Seal(plain, recordedHeadersContext(deliveryID))
	if err != nil {
		return nil, fmt.Errorf("seal recorded headers of delivery %s: %w", deliveryID, err)
	}
	return &sealed, nil
}

// withRecordedHeaders returns the recorded request headers raw with the
// custom headers sealed beside them opened and added, for their owner.
func withRecordedHeaders(ring *sealing.KeyRing, deliveryID uuid.UUID, raw json.RawMessage, sealed *string) (json.RawMessage, error) {
	if sealed == nil {
		return raw, nil
	}
	custom, err := openRecordedHeaders(ring, deliveryID, sealed)
	if err != nil {
		return nil, err
	}
	var headers map[string]any
	if err := json.Unmarshal(raw, &headers); err != nil || headers == nil {
		headers = map[string]any{}
	}
	for k, v := range custom {
		if _, own := headers[k]; !own { // Hookflow's own win, as on the wire
			headers[k] = v
		}
	}
	return json.Marshal(headers)
}

// openRecordedHeaders opens the custom headers an attempt of delivery
// deliveryID sent; none (nil) open to nil.
func openRecordedHeaders(ring *sealing.KeyRing, deliveryID uuid.UUID, sealed *string) (map[string]string, error) {
	if sealed == nil {
		return nil, nil
	}
	plain, err := ring.Open(*sealed, recordedHeadersContext(deliveryID))
	if err != nil {
		return nil, fmt.Errorf("open recorded headers of delivery %s: %w", deliveryID, err)
	}
	var custom map[string]string
	if err := json.Unmarshal(plain, &custom); err != nil {
		return nil, fmt.Errorf("decode recorded headers of delivery %s: %w", deliveryID, err)
	}
	return custom, nil
}
