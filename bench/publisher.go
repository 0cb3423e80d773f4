package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// newHTTPClient has a pool as wide as the publishers.
func newHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512}, Timeout: 60 * time.Second}
}

func (s *stack) call(ctx context.Context, method, path string, body any, want int) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.url+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return out, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, out)
	}
	return out, nil
}

// createWebhooks registers n facility webhooks on facility F-0 at the receiver.
func (s *stack) createWebhooks(ctx context.Context, receiverURL string, n int) error {
	for i := range n {
		if err := s.createWebhook(ctx, fmt.Sprintf("%s/w/%d", receiverURL, i), "F-0"); err != nil {
			return err
		}
	}
	return nil
}

// createWebhook registers one webhook for every event of one facility.
func (s *stack) createWebhook(ctx context.Context, url, facility string) error {
	return s.createFilteredWebhook(ctx, url, facility, "")
}

// createFilteredWebhook registers one webhook for the events of one
// facility that match filter (every event when it is empty).
func (s *stack) createFilteredWebhook(ctx context.Context, url, facility, filter string) error {
	body := map[string]any{"url": url, "events": []string{"all"}, "facilities": []string{facility}}
	if filter != "" {
		body["filter"] = filter
	}
	_, err := s.call(ctx, http.MethodPost, "/api/v2/public/webhooks/facility", body, http.StatusCreated)
	return err
}

// publish posts one event with a chosen id on facility F-0.
func (s *stack) publish(ctx context.Context, id string) error { return s.publishTo(ctx, id, "F-0") }

// publishTo posts one event with a chosen id on a facility.
func (s *stack) publishTo(ctx context.Context, id, facility string) error {
	body := map[string]any{"id": id, "eventType": "shift.created", "facilityId": facility, "data": map[string]any{"shiftId": id, "startsAt": "2026-11-24T08:00:00Z", "role": "RN"}}
	_, err := s.call(ctx, http.MethodPost, "/api/v2/events", body, http.StatusAccepted)
	return err
}
