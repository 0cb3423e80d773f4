package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

type report struct {
	When    string    `json:"when"`
	Machine string    `json:"machine"`
	Command string    `json:"command"`
	Results []*result `json:"results"`
	// BurstToLimit is Hookflow's burst rate over the direct POST rate.
	BurstToLimit float64 `json:"burstToLimitRatio,omitempty"`
}

func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "model name") {
				model = strings.TrimSpace(strings.SplitN(line, ":", 2)[1])
				break
			}
		}
	}
	return fmt.Sprintf("%d cores (%s), %s/%s", runtime.NumCPU(), model, runtime.GOOS, runtime.GOARCH)
}

func writeReport(cfg benchConfig, stamp string, results []*result) error {
	rep := report{When: time.Now().UTC().Format(time.RFC3339), Machine: machine(), Command: "make bench " + strings.Join(os.Args[1:], " "), Results: results}
	var burst, limit float64
	for _, r := range results {
		switch r.Name {
		case "burst":
			burst = r.DeliveriesPerSec
		case "limit (direct POSTs)":
			limit = r.DeliveriesPerSec
		}
	}
	if burst > 0 && limit > 0 {
		rep.BurstToLimit = burst / limit
	}
	base := filepath.Join(cfg.out, stamp)
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(base+".json", js, 0o644); err != nil {
		return err
	}
	md := markdown(rep)
	if err := os.WriteFile(base+".md", []byte(md), 0o644); err != nil {
		return err
	}
	for _, r := range results {
		if r.Name == "paced" && len(r.latencies) > 0 {
			if err := latencyChart(r, base+"-paced-latency.png"); err != nil {
				return err
			}
		}
	}
	fmt.Print(md)
	fmt.Printf("\nResults: %s.json, %s.md\n", base, base)
	return nil
}

func markdown(rep report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Hookflow benchmark, %s, on %s\n\n", rep.When, rep.Machine)
	b.WriteString("| scenario | deliveries | seconds | deliveries/s | publishes/s | p50 ms | p95 ms | p99 ms | lost | CPU s/1000 (hookflow, temporal, postgres, bench) | history events/delivery | notes |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range rep.Results {
		cpu := ""
		if r.CPUSecPer1000 != nil {
			cpu = fmt.Sprintf("%.2f, %.2f, %.2f, %.2f", r.CPUSecPer1000["hookflow"], r.CPUSecPer1000["temporal"], r.CPUSecPer1000["postgres"], r.CPUSecPer1000["bench"])
		}
		fmt.Fprintf(&b, "| %s | %d | %.2f | %s | %s | %s | %s | %s | %d | %s | %s | %s |\n", r.Name, r.Deliveries, r.Seconds,
			num(r.DeliveriesPerSec), num(r.PublishesPerSec), num(r.LatencyMs["p50"]), num(r.LatencyMs["p95"]), num(r.LatencyMs["p99"]),
			r.Lost, cpu, num(r.HistoryEvents), r.Notes)
	}
	if rep.BurstToLimit > 0 {
		fmt.Fprintf(&b, "\nBurst rate is %.2f%% of the machine's limit (direct signed POSTs, same concurrency).\n", rep.BurstToLimit*100)
	}
	return b.String()
}

func num(v float64) string {
	if v == 0 {
		return ""
	}
	return fmt.Sprintf("%.2f", v)
}

// latencyChart draws the paced run's latency distribution.
func latencyChart(r *result, path string) error {
	values := make(plotter.Values, len(r.latencies))
	for i, l := range r.latencies {
		values[i] = float64(l.Microseconds()) / 1000
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Paced run: publish-to-receipt latency (p50 %.1f ms, p99 %.1f ms)", r.LatencyMs["p50"], r.LatencyMs["p99"])
	p.X.Label.Text = "latency (ms)"
	p.Y.Label.Text = "deliveries"
	h, err := plotter.NewHist(values, 50)
	if err != nil {
		return err
	}
	p.Add(h)
	return p.Save(8*vg.Inch, 4*vg.Inch, path)
}
