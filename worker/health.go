package worker

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/client"
)

// TemporalPinger lets a health check probe the Temporal frontend.
type TemporalPinger struct{ Client client.Client }

// Ping asks the frontend for its health.
func (p TemporalPinger) Ping(ctx context.Context) error {
	if _, err := p.Client.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return fmt.Errorf("temporal health: %w", err)
	}
	return nil
}
