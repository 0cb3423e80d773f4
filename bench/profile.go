package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// profiler records CPU profiles of Hookflow (its HOOKFLOW_PPROF_ADDR) and
// the Temporal dev server (perf, software clock) while a scenario runs.
// A profiled run costs CPU: its figures are not comparable with others.
type profiler struct {
	wg   sync.WaitGroup
	mu   sync.Mutex
	errs []error
}

// startProfiles profiles for seconds and writes <base>-<name>-hookflow.pprof
// and <base>-<name>-temporal.perf.data.
func (r *runner) startProfiles(ctx context.Context, s *stack, name string) *profiler {
	p := &profiler{}
	if r.cfg.profileSeconds <= 0 {
		return p
	}
	base := filepath.Join(r.cfg.out, r.stamp+"-"+name)
	secs := strconv.Itoa(r.cfg.profileSeconds)
	if s != nil && s.pprof != "" {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.fail(fetchProfile(ctx, "http://"+s.pprof+"/debug/pprof/profile?seconds="+secs, base+"-hookflow.pprof"))
		}()
	}
	if r.temporalPID > 0 {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			cmd := exec.CommandContext(ctx, "perf", "record", "-e", "cpu-clock", "-F", "499", "-g", "-p", strconv.Itoa(r.temporalPID),
				"-o", base+"-temporal.perf.data", "--", "sleep", secs)
			if out, err := cmd.CombinedOutput(); err != nil {
				p.fail(fmt.Errorf("perf record: %w\n%s", err, out))
			}
		}()
	}
	return p
}

func (p *profiler) fail(err error) {
	if err == nil {
		return
	}
	p.mu.Lock()
	p.errs = append(p.errs, err)
	p.mu.Unlock()
}

// wait returns once the profiles are written; failures are reported, not fatal.
func (p *profiler) wait() {
	p.wg.Wait()
	for _, err := range p.errs {
		fmt.Fprintln(os.Stderr, "bench: profile:", err)
	}
}

// fileName keeps the letters and digits of a scenario's name, dashes between.
func fileName(name string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), "-")
}

func fetchProfile(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: 5 * time.Minute}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
