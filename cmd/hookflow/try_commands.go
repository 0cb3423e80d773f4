package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hookflow/hookflow"
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
		Short: "Create, list and delete an integrator's webhooks on a running Hookflow (token minted with the configured key)",
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&server, "server", defaultServer, "Hookflow's base URL")
	pf.StringVar(&kind, "kind", "facility", "webhook kind: facility or user")
	pf.StringVar(&clientID, "client-id", "demo", "integrator client id that owns the webhooks")
	pf.StringVar(&facilitiesCSV, "facilities", "P-1,P-2", "comma-separated facilities of the integrator's token")

	var url, eventsCSV, filter string
	var headerPairs []string
	create := &cobra.Command{
		Use:   "create",
		Short: "Register a webhook (facility webhooks cover every facility of --facilities)",
		Example: `  hookflow webhooks create --url http://localhost:8080/api/webhook-processors/success-response --events all
  hookflow webhooks create --url http://localhost:8080/api/webhook-processors/success-response --filter 'data.amount > 100'
  hookflow webhooks create --url https://example.com/hook --header "Authorization=Bearer s3cr3t" --header X-Tenant=acme`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			headers, err := parseHeaderFlags(headerPairs)
			if err != nil {
				return err
			}
			c, err := integrator(cmd)
			if err != nil {
				return err
			}
			body := map[string]any{"url": url, "events": splitList(eventsCSV)}
			if filter != "" {
				body["filter"] = filter
			}
			if headers != nil {
				body["headers"] = headers
			}
			return c.call(cmd.Context(), http.MethodPost, "/api/v2/public/webhooks/"+kind, body)
		},
	}
	create.Flags().StringVar(&url, "url", "", "where deliveries are posted (required)")
	create.Flags().StringVar(&eventsCSV, "events", "all", "comma-separated event types, or all")
	create.Flags().StringVar(&filter, "filter", "", "a CEL expression events must match, e.g. 'data.amount > 100' (docs/api.md, Filters)")
	create.Flags().StringArrayVar(&headerPairs, "header", nil, "a custom header NAME=VALUE sent on every attempt (repeatable)")
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
	del := &cobra.Command{
		Use:     "delete <webhookId>",
		Short:   "Delete one of the client's webhooks of --kind (its pending retries end)",
		Example: `  hookflow webhooks delete 0b6c3f9e-1d2a-4c5b-9e8f-7a6b5c4d3e2f --kind user`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := integrator(cmd)
			if err != nil {
				return err
			}
			return c.call(cmd.Context(), http.MethodDelete, "/api/v2/public/webhooks/"+kind+"/"+neturl.PathEscape(args[0]), nil)
		},
	}
	cmd.AddCommand(create, list, del)
	return cmd
}

// eventsCommand shows the event catalog: the codes that `webhooks create
// --events` and `publish --event-type` accept.
func eventsCommand() *cobra.Command {
	var server string
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Show the event catalog of a running Hookflow (token minted with the configured key)",
	}
	cmd.PersistentFlags().StringVar(&server, "server", defaultServer, "Hookflow's base URL")
	list := &cobra.Command{
		Use:   "list",
		Short: "List the event types in use, each with the webhook kind that subscribes to it",
		Long: "List the event types in use (active, not archived), each with the webhook kind whose\n" +
			"--events accepts it: facility, user, or organization only (organization subscriptions\n" +
			"accept every event type); any-by-name for operational events, which a webhook receives\n" +
			"about its own client's endpoints only when it names them.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newAPIClient(server, auth.Principal{ClientID: "hookflow-cli", Roles: []auth.Role{auth.RoleIntegrator}}, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			events, err := liveCatalog(cmd.Context(), c)
			if err != nil {
				return err
			}
			return printCatalog(cmd.OutOrStdout(), events)
		},
	}
	cmd.AddCommand(list)
	return cmd
}

// catalogEntry is one event type of the catalog as `events list` shows it.
type catalogEntry struct {
	code, kind, category, name, version string
}

// catalogItem is what the catalog routes answer of a category or an event.
type catalogItem struct {
	ID          string `json:"id"`
	Code        string `json:"code"`
	Name        string `json:"name"`
	Version     string `json:"version"`
	ArchiveInfo struct {
		IsArchived bool `json:"isArchived"`
	} `json:"archiveInfo"`
	ActiveInfo struct {
		IsActive bool `json:"isActive"`
	} `json:"activeInfo"`
}

func (i catalogItem) live() bool { return i.ActiveInfo.IsActive && !i.ArchiveInfo.IsArchived }

// liveCatalog reads the live events of every live category, in creation
// order, through the catalog routes (any token may read them).
func liveCatalog(ctx context.Context, c apiClient) ([]catalogEntry, error) {
	kinds := map[string]string{}
	for _, k := range []hookflow.WebhookKind{hookflow.KindFacility, hookflow.KindUser} {
		kinds[hookflow.CategoryForKind(k)] = string(k)
	}
	// Operational events reach any webhook of the endpoint's own tenant
	// that names them (never through all).
	kinds[hookflow.OperationalCategory] = "any-by-name"
	categories, err := listAll(ctx, c, "/api/webhook-categories")
	if err != nil {
		return nil, err
	}
	var out []catalogEntry
	for _, cat := range categories {
		if !cat.live() {
			continue
		}
		kind := kinds[cat.Code]
		if kind == "" {
			kind = "organization only"
		}
		events, err := listAll(ctx, c, "/api/webhook-categories/"+neturl.PathEscape(cat.ID)+"/webhook-events")
		if err != nil {
			return nil, err
		}
		for _, e := range events {
			if e.live() {
				out = append(out, catalogEntry{code: e.Code, kind: kind, category: cat.Code, name: e.Name, version: e.Version})
			}
		}
	}
	return out, nil
}

// listAll pages through a catalog list, oldest first.
func listAll(ctx context.Context, c apiClient, path string) ([]catalogItem, error) {
	const take = 100
	var all []catalogItem
	for {
		var page struct {
			Data  []catalogItem `json:"data"`
			Total int           `json:"total"`
		}
		q := neturl.Values{"order_by": {"ASC"}, "skip": {strconv.Itoa(len(all))}, "take": {strconv.Itoa(take)}}
		if err := c.getJSON(ctx, path+"?"+q.Encode(), &page); err != nil {
			return nil, err
		}
		all = append(all, page.Data...)
		if len(page.Data) == 0 || len(all) >= page.Total {
			return all, nil
		}
	}
}

func printCatalog(w io.Writer, events []catalogEntry) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EVENT TYPE\tKIND\tCATEGORY\tVERSION\tNAME")
	for _, e := range events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.code, e.kind, e.category, e.version, e.name)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "\n`all` subscribes a webhook to every event type of its kind.")
	return err
}

// parseHeaderFlags reads repeated --header NAME=VALUE flags; the value may
// hold '=' and ','. The server checks names and values (docs/api.md).
func parseHeaderFlags(pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(pairs))
	for _, pair := range pairs {
		name, value, ok := strings.Cut(pair, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--header %q: want NAME=VALUE", pair)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("--header %s is given twice", name)
		}
		out[name] = value
	}
	return out, nil
}
