// Package deploy_test checks the compose stack's files without a Docker
// engine: they parse, the mounts exist, Prometheus scrapes the services that
// serve /metrics, and the dashboard asks only for metrics Hookflow exports.
package deploy_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/hookflow/hookflow/metrics"
)

type composeFile struct {
	Services map[string]struct {
		Image       string         `yaml:"image"`
		Build       any            `yaml:"build"`
		Command     any            `yaml:"command"`
		Environment map[string]any `yaml:"environment"`
		Volumes     []string       `yaml:"volumes"`
		DependsOn   any            `yaml:"depends_on"`
		Ports       []string       `yaml:"ports"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestComposeRunsPrometheusAndGrafanaWithMountsThatExist(t *testing.T) {
	var c composeFile
	readYAML(t, "../docker-compose.yml", &c)
	for _, name := range []string{"postgres", "temporal", "api", "worker", "prometheus", "grafana"} {
		if _, ok := c.Services[name]; !ok {
			t.Errorf("service %s missing", name)
		}
	}
	for name, svc := range c.Services {
		if svc.Image == "" && svc.Build == nil {
			t.Errorf("service %s has neither image nor build", name)
		}
		if strings.Contains(svc.Image, ":latest") || (svc.Image != "" && !strings.Contains(svc.Image, ":")) {
			t.Errorf("service %s: image %q is not pinned", name, svc.Image)
		}
		for _, v := range svc.Volumes {
			source, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(source, "./") {
				if _, err := os.Stat(filepath.Join("..", source)); err != nil {
					t.Errorf("service %s mounts %s: %v", name, source, err)
				}
			} else if _, ok := c.Volumes[source]; !ok {
				t.Errorf("service %s uses volume %s, not declared", name, source)
			}
		}
	}
}

func TestPrometheusScrapesTheAPIAndTheWorkers(t *testing.T) {
	var cfg struct {
		ScrapeConfigs []struct {
			JobName     string `yaml:"job_name"`
			MetricsPath string `yaml:"metrics_path"`
			DNSSD       []struct {
				Names []string `yaml:"names"`
				Port  int      `yaml:"port"`
			} `yaml:"dns_sd_configs"`
		} `yaml:"scrape_configs"`
	}
	readYAML(t, "prometheus/prometheus.yml", &cfg)
	var compose composeFile
	readYAML(t, "../docker-compose.yml", &compose)
	scraped := map[string]bool{}
	for _, sc := range cfg.ScrapeConfigs {
		if sc.MetricsPath != "/metrics" {
			t.Errorf("job %s scrapes %q", sc.JobName, sc.MetricsPath)
		}
		for _, d := range sc.DNSSD {
			for _, n := range d.Names {
				if _, ok := compose.Services[n]; !ok {
					t.Errorf("job %s scrapes %s, no compose service", sc.JobName, n)
				}
				if d.Port != 8080 {
					t.Errorf("job %s scrapes port %d; api and worker listen on HOOKFLOW_HTTP_ADDR :8080", sc.JobName, d.Port)
				}
				scraped[n] = true
			}
		}
	}
	if !scraped["api"] || !scraped["worker"] {
		t.Errorf("scraped services %v, want api and worker", scraped)
	}
}

func TestGrafanaProvisionsTheDashboardOnTheProvisionedDatasource(t *testing.T) {
	var ds struct {
		Datasources []struct {
			UID, Type, URL string
		} `yaml:"datasources"`
	}
	readYAML(t, "grafana/provisioning/datasources/prometheus.yml", &ds)
	if len(ds.Datasources) != 1 || ds.Datasources[0].Type != "prometheus" || ds.Datasources[0].URL != "http://prometheus:9090" {
		t.Fatalf("datasources = %+v", ds.Datasources)
	}
	var providers struct {
		Providers []struct {
			Options struct{ Path string } `yaml:"options"`
		} `yaml:"providers"`
	}
	readYAML(t, "grafana/provisioning/dashboards/hookflow.yml", &providers)
	var compose composeFile
	readYAML(t, "../docker-compose.yml", &compose)
	if len(providers.Providers) != 1 || !slices.Contains(compose.Services["grafana"].Volumes, "./deploy/grafana/dashboards:"+providers.Providers[0].Options.Path+":ro") {
		t.Errorf("dashboard provider %+v does not read the mounted deploy/grafana/dashboards", providers.Providers)
	}

	dash := readDashboard(t)
	if dash.UID == "" || len(dash.Panels) == 0 {
		t.Fatalf("dashboard has no uid or panels")
	}
	for _, p := range dash.Panels {
		if p.Type == "row" {
			continue
		}
		if p.Datasource.UID != ds.Datasources[0].UID || len(p.Targets) == 0 {
			t.Errorf("panel %q: datasource %q, %d queries", p.Title, p.Datasource.UID, len(p.Targets))
		}
	}
}

type dashboard struct {
	UID    string `json:"uid"`
	Panels []struct {
		Title      string `json:"title"`
		Type       string `json:"type"`
		Datasource struct {
			UID string `json:"uid"`
		} `json:"datasource"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	raw, err := os.ReadFile("grafana/dashboards/hookflow.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("hookflow.json: %v", err)
	}
	return d
}

// Every hookflow_* series the dashboard queries is one Hookflow exports.
func TestDashboardQueriesOnlyExportedHookflowMetrics(t *testing.T) {
	exported := map[string]bool{}
	for _, n := range metrics.FamilyNames() {
		exported[n] = true
	}
	name := regexp.MustCompile(`hookflow_[a-z_]+`)
	for _, p := range readDashboard(t).Panels {
		for _, target := range p.Targets {
			for _, series := range name.FindAllString(target.Expr, -1) {
				base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(series, "_bucket"), "_count"), "_sum")
				if !exported[base] {
					t.Errorf("panel %q queries %s, which Hookflow does not export", p.Title, series)
				}
			}
		}
	}
}

// promtool, where installed (Debian's prometheus package), checks the
// Prometheus configuration and parses every dashboard query as PromQL.
func TestPromtoolAcceptsTheConfigAndEveryDashboardQuery(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (apt-get install prometheus)")
	}
	if out, err := exec.Command(promtool, "check", "config", "--syntax-only", "prometheus/prometheus.yml").CombinedOutput(); err != nil {
		t.Errorf("promtool check config: %v\n%s", err, out)
	}
	type rule struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	var rules []rule
	for _, p := range readDashboard(t).Panels {
		for _, target := range p.Targets {
			// Grafana fills in $__rate_interval; any range parses the same.
			rules = append(rules, rule{Record: "dashboard:query", Expr: strings.ReplaceAll(target.Expr, "$__rate_interval", "1m")})
		}
	}
	file := map[string]any{"groups": []map[string]any{{"name": "dashboard", "rules": rules}}}
	raw, err := yaml.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dashboard-rules.yml")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput(); err != nil {
		t.Errorf("a dashboard query is not valid PromQL: %v\n%s", err, out)
	}
}

// TestComposeKeepsConsolesOnLoopback: Temporal (which takes any client), its
// UI, Prometheus and Grafana publish their ports on 127.0.0.1 only; Grafana
// has no anonymous access and its admin password must be given; Hookflow
// runs in production.
func TestComposeKeepsConsolesOnLoopback(t *testing.T) {
	raw, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"temporal":    "127.0.0.1:7233:7233",
		"temporal-ui": "127.0.0.1:8233:8080",
		"prometheus":  "127.0.0.1:9090:9090",
		"grafana":     "127.0.0.1:3000:3000",
	}
	for name, port := range want {
		if got := c.Services[name].Ports; !slices.Equal(got, []string{port}) {
			t.Errorf("service %s publishes %v, want only %s", name, got, port)
		}
	}
	for name, svc := range c.Services {
		for _, p := range svc.Ports {
			if name != "api" && !strings.HasPrefix(p, "127.0.0.1:") {
				t.Errorf("service %s publishes %s on every interface", name, p)
			}
		}
	}

	env := c.Services["grafana"].Environment
	if v := env["GF_AUTH_ANONYMOUS_ENABLED"]; v != "false" {
		if role := env["GF_AUTH_ANONYMOUS_ORG_ROLE"]; role != "Viewer" {
			t.Errorf("Grafana anonymous access %v with role %v: want off, or Viewer at most", v, role)
		}
	}
	// ${VAR:?message}: compose refuses to start without it, so no default password.
	if pw, _ := env["GF_SECURITY_ADMIN_PASSWORD"].(string); !regexp.MustCompile(`^\$\{GRAFANA_ADMIN_PASSWORD:\?[^}]+\}$`).MatchString(pw) {
		t.Errorf("GF_SECURITY_ADMIN_PASSWORD = %q, want ${GRAFANA_ADMIN_PASSWORD:?...}", pw)
	}

	var anchors struct {
		Env map[string]any `yaml:"x-hookflow-env"`
	}
	if err := yaml.Unmarshal(raw, &anchors); err != nil {
		t.Fatal(err)
	}
	if anchors.Env["HOOKFLOW_ENV"] != "production" {
		t.Errorf("HOOKFLOW_ENV = %v, want production", anchors.Env["HOOKFLOW_ENV"])
	}
	for _, name := range []string{"api", "worker", "migrate"} {
		if c.Services[name].Environment["HOOKFLOW_ENV"] != "production" {
			t.Errorf("service %s does not run in production", name)
		}
	}
}

// The compose file and scripts/prod-stack.sh (make prod-up, the stack the
// production suite runs on) are one description: the same server version,
// the same dynamic config.
func TestComposeAndProdStackRunTheSameTemporal(t *testing.T) {
	var compose composeFile
	readYAML(t, "../docker-compose.yml", &compose)
	script, err := os.ReadFile("../scripts/prod-stack.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^server_version=v(\S+)$`).FindSubmatch(script)
	if m == nil {
		t.Fatal("scripts/prod-stack.sh sets no server_version")
	}
	temporal := compose.Services["temporal"]
	if want := "temporalio/auto-setup:" + string(m[1]); temporal.Image != want {
		t.Errorf("compose runs %s, prod-stack.sh builds v%s", temporal.Image, m[1])
	}
	if temporal.Environment["DB"] != "postgres12" || !strings.Contains(string(script), `pluginName: "postgres12"`) {
		t.Errorf("compose DB %v; both must use the postgres12 plugin", temporal.Environment["DB"])
	}
	if !slices.Contains(temporal.Volumes, "./deploy/temporal:/etc/temporal/hookflow:ro") ||
		temporal.Environment["DYNAMIC_CONFIG_FILE_PATH"] != "/etc/temporal/hookflow/dynamicconfig.yaml" ||
		!strings.Contains(string(script), "deploy/temporal/dynamicconfig.yaml") {
		t.Error("compose and prod-stack.sh must both read deploy/temporal/dynamicconfig.yaml")
	}
}
