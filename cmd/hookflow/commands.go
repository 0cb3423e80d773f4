package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/auth"
	"github.com/hookflow/hookflow/config"
)

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "hookflow",
		Short:         "Hookflow: durable webhook delivery on Temporal",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		roleCommand("serve", "Run the API and a delivery worker in one process", roles{api: true, worker: true, migrate: true}),
		roleCommand("api", "Run the HTTP API only", roles{api: true}),
		roleCommand("worker", "Run a delivery worker only", roles{worker: true}),
		migrateCommand(),
		rotateKeysCommand(),
		purgeCommand(),
		healthcheckCommand(),
		tokenCommand(),
		publishCommand(),
		webhooksCommand(),
		eventsCommand(),
		versionCommand(),
	)
	return root
}

func roleCommand(name, short string, r roles) *cobra.Command {
	return &cobra.Command{
		Use:   name,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.FromEnv()
			if err != nil {
				return err
			}
			return run(cmd.Context(), cfg, r, newLogger(cfg))
		},
	}
}

func migrateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations and exit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.FromEnv()
			if err != nil {
				return err
			}
			return migrate(cmd.Context(), cfg, newLogger(cfg))
		},
	}
}

func rotateKeysCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "rotate-keys",
		Short: "Re-encrypt every stored secret under the newest key of HOOKFLOW_ENCRYPTION_KEYS (safe while serving)",
		Long: `Re-encrypt every stored secret under the newest key of HOOKFLOW_ENCRYPTION_KEYS.

To rotate: put a new key first in HOOKFLOW_ENCRYPTION_KEYS (keep the old ones
after it), restart every process, run this command, and once it reports no
secret under an older key, drop the old key and restart again. It works in
batches of 500 secrets, one transaction each, so it can run while serving.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.FromEnv()
			if err != nil {
				return err
			}
			return rotateKeys(cmd.Context(), cfg, cmd.OutOrStdout())
		},
	}
}

func purgeCommand() *cobra.Command {
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "purge",
		Short: "Purge delivery logs older than HOOKFLOW_LOG_RETENTION now (--dry-run: only count them)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.FromEnv()
			if err != nil {
				return err
			}
			return purge(cmd.Context(), cfg, dryRun, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print what a purge would delete, delete nothing")
	return cmd
}

func tokenCommand() *cobra.Command {
	var (
		sub, clientID, orgID   string
		rolesCSV, facilitiesCS string
		ttl                    time.Duration
	)
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Mint a bearer token with the configured key (development and tests)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.FromEnv()
			if err != nil {
				return err
			}
			p := auth.Principal{Subject: sub, ClientID: clientID, OrgID: orgID, Facilities: splitList(facilitiesCS)}
			if p.Roles, err = parseRoles(rolesCSV); err != nil {
				return fmt.Errorf("--roles: %w", err)
			}
			if p.Subject == "" && p.ClientID == "" {
				return fmt.Errorf("--sub or --client-id is required")
			}
			token, err := mintToken(cfg, p, ttl)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), token)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&sub, "sub", "", "subject (defaults to --client-id)")
	f.StringVar(&clientID, "client-id", "", "integrator client id that owns webhooks")
	f.StringVar(&orgID, "org-id", "", "organization id")
	f.StringVar(&rolesCSV, "roles", "integrator", "comma-separated roles: integrator, publisher, support, admin")
	f.StringVar(&facilitiesCS, "facilities", "", "comma-separated facility ids the caller may use")
	f.DurationVar(&ttl, "ttl", time.Hour, "lifetime of the token")
	return cmd
}

// mintToken signs a token for p with the configured key; the subject
// defaults to the client.
func mintToken(cfg config.Config, p auth.Principal, ttl time.Duration) (string, error) {
	if cfg.JWTPublicKeyFile != "" {
		return "", fmt.Errorf("HOOKFLOW_JWT_PUBLIC_KEY_FILE is set: tokens come from your identity provider, not hookflow")
	}
	if p.Subject == "" {
		p.Subject = p.ClientID
	}
	keys := auth.Keys{Secret: []byte(cfg.JWTSecret), Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience}
	return auth.Mint(keys, p, ttl, time.Now())
}

func parseRoles(csv string) ([]auth.Role, error) {
	var roles []auth.Role
	for _, r := range splitList(csv) {
		role := auth.Role(r)
		switch role {
		case auth.RoleIntegrator, auth.RolePublisher, auth.RoleSupport, auth.RoleAdmin:
		default:
			return nil, fmt.Errorf("unknown role %q (integrator, publisher, support, admin)", r)
		}
		roles = append(roles, role)
	}
	return roles, nil
}

func healthcheckCommand() *cobra.Command {
	var dependencies bool
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Exit 0 when the local API answers /healthcheck (--dependencies: when PostgreSQL and Temporal answer)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.FromEnv()
			if err != nil {
				return err
			}
			if dependencies {
				return checkDependencies(cmd.Context(), cfg)
			}
			return checkAPI(cmd.Context(), cfg)
		},
	}
	cmd.Flags().BoolVar(&dependencies, "dependencies", false, "check PostgreSQL and Temporal instead of the API (for workers)")
	return cmd
}

func versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "hookflow", hookflow.Version)
			return err
		},
	}
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
