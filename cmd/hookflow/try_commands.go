package main

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/hookflow/hookflow/auth"
)

const defaultServer = "http://localhost:8080"

// publishCommand posts an event as a publisher, for a newcomer's first
// delivery in one command.
func publishCommand() *cobra.Command {
	var server, id, eventType, facility, client, org, data string
	cmd := &cobra.Command{
		Use:     "publish",
		Short:   "Publish an event to a running Hookflow (token minted with the configured key)",
		Example: `  hookflow publish --event-type shift.created --facility P-1 --data '{"shiftId":"s-1"}'`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var payload json.RawMessage
			if err := json.Unmarshal([]byte(data), &payload); err != nil {
				return fmt.Errorf("--data is not JSON: %w", err)
			}
			body := map[string]any{"eventType": eventType, "data": payload}
			for key, v := range map[string]string{"id": id, "facilityId": facility, "clientId": client, "organizationId": org} {
				if v != "" {
					body[key] = v
				}
			}
			c, err := newAPIClient(server, auth.Principal{ClientID: "hookflow-cli", Roles: []auth.Role{auth.RolePublisher}}, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			return c.call(cmd.Context(), http.MethodPost, "/api/v2/events", body)
		},
	}
	f := cmd.Flags()
	f.StringVar(&server, "server", defaultServer, "Hookflow's base URL")
	f.StringVar(&eventType, "event-type", "", "event type, a code of the catalog (required)")
	f.StringVar(&facility, "facility", "", "facility id: delivered to facility webhooks of that facility")
	f.StringVar(&client, "client", "", "client id: delivered to that client's user webhooks")
	f.StringVar(&org, "org", "", "organization id: delivered to that organization's subscriptions")
	f.StringVar(&id, "id", "", "event id, the idempotency key (generated when empty)")
	f.StringVar(&data, "data", "{}", "the event's data, a JSON object")
	_ = cmd.MarkFlagRequired("event-type")
	return cmd
}

// webhooksCommand manages the webhooks of one integrator client.
func webhooksCommand() *cobra.Command {
	var server, kind, clientID, facilitiesCSV string
	integrator := func(cmd *cobra.Command) (apiClient, error) {
		if kind != "facility" && kind != "user" {
			return apiClient{}, fmt.Errorf("--kind: %q is neither facility nor user", kind)
		}
		p := auth.Principal{ClientID: clientID, Facilities: splitList(facilitiesCSV), Roles: []auth.Role{auth.RoleIntegrator}}
		return newAPIClient(server, p, cmd.OutOrStdout())
	}
	cmd := &cobra.Command{
		Use:   "webhooks",
		Short: "Create and list an integrator's webhooks on a running Hookflow (token minted with the configured key)",
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&server, "server", defaultServer, "Hookflow's base URL")
	pf.StringVar(&kind, "kind", "facility", "webhook kind: facility or user")
	pf.StringVar(&clientID, "client-id", "demo", "integrator client id that owns the webhooks")
	pf.StringVar(&facilitiesCSV, "facilities", "P-1,P-2", "comma-separated facilities of the integrator's token")

	var url, eventsCSV string
	create := &cobra.Command{
		Use:     "create",
		Short:   "Register a webhook (facility webhooks cover every facility of --facilities)",
		Example: `  hookflow webhooks create --url http://localhost:8080/api/webhook-processors/success-response --events all`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := integrator(cmd)
			if err != nil {
				return err
			}
			return c.call(cmd.Context(), http.MethodPost, "/api/v2/public/webhooks/"+kind, map[string]any{"url": url, "events": splitList(eventsCSV)})
		},
	}
	create.Flags().StringVar(&url, "url", "", "where deliveries are posted (required)")
	create.Flags().StringVar(&eventsCSV, "events", "all", "comma-separated event types, or all")
	_ = create.MarkFlagRequired("url")

	list := &cobra.Command{
		Use:   "list",
		Short: "List the client's webhooks of --kind",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := integrator(cmd)
			if err != nil {
				return err
			}
			return c.call(cmd.Context(), http.MethodGet, "/api/v2/public/webhooks/"+kind, nil)
		},
	}
	cmd.AddCommand(create, list)
	return cmd
}
