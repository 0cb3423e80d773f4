package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

type report struct {
	When    string `json:"when"`
	Machine string `json:"machine"`
	// Temporal is the version of the dev server the scenarios ran on.
	Temporal string    `json:"temporal"`
	Command  string    `json:"command"`
	Results  []*result `json:"results"`
	// BurstToLimit is Hookflow's burst rate over the direct POST rate.
	BurstToLimit float64 `json:"burstToLimitRatio,omitempty"`
	// BurstToFloor is Hookflow's burst rate over the engine's floor (one
	// workflow with a no-op local activity each) in the same run.
	BurstToFloor float64 `json:"burstToFloorRatio,omitempty"`
	// BurstToSplitFloor is the burst over the floor of workflows shaped like
	// a split attempt (local, regular and local no-op activities).
	BurstToSplitFloor float64 `json:"burstToSplitFloorRatio,omitempty"`
	// ScaleOutToFloor is the api + workers burst over the floor.
	ScaleOutToFloor float64 `json:"scaleOutToFloorRatio,omitempty"`
	// NoisyP99Ratio is the healthy webhooks' p99 beside two bad ones over
	// the same run with none (target at most 1.5).
	NoisyP99Ratio float64 `json:"noisyNeighbourP99Ratio,omitempty"`
	// BreakerOnToOff is the dead-endpoint run with the circuit breaker over
	// the one without: attempts, CPU per healthy delivery, latency.
	BreakerOnToOff map[string]float64 `json:"breakerOnToOff,omitempty"`
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

// writeReport writes the JSON, Markdown and charts of the results so far,
// and prints the table when final.
func writeReport(cfg benchConfig, stamp, temporal string, results []*result, final bool) error {
	rep := report{When: time.Now().UTC().Format(time.RFC3339), Machine: machine(), Temporal: temporal, Command: "make bench " + strings.Join(os.Args[1:], " "), Results: results}
	var burst, scaleOut, floor, splitFloor, limit, noisyBase, noisy float64
	for _, r := range results {
		switch {
		case r.Name == "burst":
			burst = r.DeliveriesPerSec
		case strings.HasPrefix(r.Name, "burst, api + "):
			scaleOut = r.DeliveriesPerSec
		case r.Name == floorName:
			floor = r.DeliveriesPerSec
		case r.Name == splitFloorName:
			splitFloor = r.DeliveriesPerSec
		case r.Name == "limit (direct POSTs)":
			limit = r.DeliveriesPerSec
		case r.Name == noisyBaselineName:
			noisyBase = r.LatencyMs["p99"]
		case r.Name == noisyName:
			noisy = r.LatencyMs["p99"]
		}
	}
	rep.BurstToLimit = ratio(burst, limit)
	rep.BurstToFloor = ratio(burst, floor)
	rep.BurstToSplitFloor = ratio(burst, splitFloor)
	rep.ScaleOutToFloor = ratio(scaleOut, floor)
	rep.NoisyP99Ratio = ratio(noisy, noisyBase)
	rep.BreakerOnToOff = breakerRatios(results)
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
		if r.Soak != nil && len(r.Soak.Samples) > 0 {
			if err := soakChart(r, base+"-soak.png"); err != nil {
				return err
			}
		}
	}
	if !final {
		return nil
	}
	fmt.Print(md)
	fmt.Printf("\nResults: %s.json, %s.md\n", base, base)
	return nil
}

func markdown(rep report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Hookflow benchmark, %s, on %s, %s\n\n", rep.When, rep.Machine, rep.Temporal)
	b.WriteString("| scenario | deliveries | seconds | deliveries/s | publishes/s | p50 ms | p95 ms | p99 ms | lost | CPU s/1000 (hookflow, temporal, postgres, bench; other) | history events/delivery | notes |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range rep.Results {
		cpu := ""
		if r.CPUSecPer1000 != nil {
			cpu = fmt.Sprintf("%.2f, %.2f, %.2f, %.2f; %.2f", r.CPUSecPer1000["hookflow"], r.CPUSecPer1000["temporal"], r.CPUSecPer1000["postgres"], r.CPUSecPer1000["bench"], r.CPUSecPer1000["other"])
		}
		fmt.Fprintf(&b, "| %s | %d | %.2f | %s | %s | %s | %s | %s | %d | %s | %s | %s |\n", r.Name, r.Deliveries, r.Seconds,
			num(r.DeliveriesPerSec), num(r.PublishesPerSec), num(r.LatencyMs["p50"]), num(r.LatencyMs["p95"]), num(r.LatencyMs["p99"]),
			r.Lost, cpu, num(r.HistoryEvents), r.Notes)
	}
	b.WriteString("\n")
	if rep.BurstToFloor > 0 {
		fmt.Fprintf(&b, "Burst rate is %.2f of the engine's floor (the same workflows with a no-op local activity, same run; target 0.85).\n", rep.BurstToFloor)
	}
	if rep.BurstToSplitFloor > 0 {
		fmt.Fprintf(&b, "Burst rate is %.2f of the floor of workflows shaped like a split attempt (no-op local, regular and local activities).\n", rep.BurstToSplitFloor)
	}
	if rep.ScaleOutToFloor > 0 {
		fmt.Fprintf(&b, "The api + workers burst is %.2f of the floor.\n", rep.ScaleOutToFloor)
	}
	if rep.BurstToLimit > 0 {
		fmt.Fprintf(&b, "Burst rate is %.2f%% of the machine's limit (direct signed POSTs, same concurrency).\n", rep.BurstToLimit*100)
	}
	if rep.NoisyP99Ratio > 0 {
		fmt.Fprintf(&b, "Healthy webhooks' p99 beside two bad ones is %.2fx their p99 without (target at most 1.5x).\n", rep.NoisyP99Ratio)
	}
	for _, r := range rep.Results {
		if r.Breaker != nil {
			breakerMarkdown(&b, rep.Results, rep.BreakerOnToOff)
			break
		}
	}
	for _, r := range rep.Results {
		if r.Soak != nil {
			soakMarkdown(&b, r.Soak)
		}
	}
	return b.String()
}

// ratio is a/b rounded, 0 when either is missing.
func ratio(a, b float64) float64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	return math.Round(a/b*1000) / 1000
}

func soakMarkdown(b *strings.Builder, f *soakFigures) {
	b.WriteString("\nSoak, p99 ms per minute:")
	for _, v := range f.P99PerMinuteMs {
		fmt.Fprintf(b, " %.1f", v)
	}
	b.WriteString("\n\n| memory MB (RSS; PostgreSQL PSS) | start | end |\n| --- | --- | --- |\n")
	for _, k := range []string{"hookflow", "temporal", "postgres"} {
		fmt.Fprintf(b, "| %s | %.1f | %.1f |\n", k, f.MemoryStartMB[k], f.MemoryEndMB[k])
	}
	fmt.Fprintf(b, "\nStore growth per 1000 deliveries: Temporal (SQLite + WAL) %.0f bytes (at the end: database %d, WAL %d bytes), PostgreSQL tables %.0f bytes (%d to %d bytes; %d deliveries kept after %d purges).\n",
		f.TemporalStoreBytesPer1000, f.TemporalDBBytes, f.TemporalWALBytes, f.PostgresBytesPer1000, f.PostgresBytesStart, f.PostgresBytesEnd, f.DeliveriesKept, f.PurgesTriggered)
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

// soakChart draws the soak's p99 per 10 s and memory over time, one above
// the other.
func soakChart(r *result, path string) error {
	lat, mem := plot.New(), plot.New()
	lat.Title.Text = r.Name + ": p99 publish-to-receipt latency per 10 s"
	lat.Y.Label.Text = "p99 (ms)"
	mem.Title.Text = "memory (RSS; PostgreSQL PSS)"
	mem.Y.Label.Text = "MB"
	mem.Legend.Top, mem.Legend.Left = true, true
	for _, p := range []*plot.Plot{lat, mem} {
		p.X.Label.Text = "minutes"
		p.Add(plotter.NewGrid())
	}
	series := func(f func(soakSample) float64) plotter.XYs {
		var xy plotter.XYs
		for _, s := range r.Soak.Samples {
			if v := f(s); v > 0 {
				xy = append(xy, plotter.XY{X: s.At / 60, Y: v})
			}
		}
		return xy
	}
	if err := plotutil.AddLines(lat, "p99", series(func(s soakSample) float64 { return s.P99Ms })); err != nil {
		return err
	}
	if err := plotutil.AddLines(mem,
		"hookflow", series(func(s soakSample) float64 { return s.HookflowMB }),
		"temporal", series(func(s soakSample) float64 { return s.TemporalMB }),
		"postgres", series(func(s soakSample) float64 { return s.PostgresMB })); err != nil {
		return err
	}
	img := vgimg.New(8*vg.Inch, 7*vg.Inch)
	plots := [][]*plot.Plot{{lat}, {mem}}
	canvases := plot.Align(plots, draw.Tiles{Rows: 2, Cols: 1, PadY: vg.Points(12), PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}, draw.New(img))
	lat.Draw(canvases[0][0])
	mem.Draw(canvases[1][0])
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
