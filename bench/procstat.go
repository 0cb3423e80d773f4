package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// clockTicks is USER_HZ on Linux.
const clockTicks = 100

// procStat is a process's /proc/<pid>/stat fields after its name, and the name.
func procStat(pid int) (name string, fields []string, ok bool) {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return "", nil, false
	}
	s := string(stat)
	open, closeIdx := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closeIdx < 0 || closeIdx+2 > len(s) {
		return "", nil, false
	}
	return s[open+1 : closeIdx], strings.Fields(s[closeIdx+2:]), true
}

func allPIDs() []int {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	out := make([]int, 0, len(dirs))
	for _, dir := range dirs {
		if p, err := strconv.Atoi(filepath.Base(dir)); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// cpuSecondsOf sums user and system time, with reaped children's, of pids.
func cpuSecondsOf(pids []int) float64 {
	var total float64
	for _, pid := range pids {
		_, fields, ok := procStat(pid)
		if !ok {
			continue
		}
		// After the name: state is field 3; utime..cstime are fields 14..17.
		for _, i := range []int{11, 12, 13, 14} {
			if i < len(fields) {
				v, _ := strconv.ParseFloat(fields[i], 64)
				total += v / clockTicks
			}
		}
	}
	return total
}

// named lists the processes whose command name is comm.
func named(comm string) []int {
	var out []int
	for _, pid := range allPIDs() {
		if name, _, ok := procStat(pid); ok && name == comm {
			out = append(out, pid)
		}
	}
	return out
}

// clusterPIDs is a PostgreSQL postmaster and its children (the backends of
// that cluster alone), or every postgres process when postmaster is 0.
func clusterPIDs(postmaster int) []int {
	if postmaster <= 0 {
		return named("postgres")
	}
	out := []int{postmaster}
	parent := strconv.Itoa(postmaster)
	for _, pid := range allPIDs() {
		if _, fields, ok := procStat(pid); ok && len(fields) > 1 && fields[1] == parent {
			out = append(out, pid)
		}
	}
	return out
}

// findPostmaster asks the server for its data directory and reads the
// postmaster's pid there, so the benchmark counts that cluster only (other
// clusters may run on the machine); 0 when it cannot tell.
func findPostmaster(ctx context.Context, adminURL string) int {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return 0
	}
	defer conn.Close(ctx)
	var dir string
	if err := conn.QueryRow(ctx, "SHOW data_directory").Scan(&dir); err != nil {
		return 0
	}
	raw, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(raw), "\n", 2)[0]))
	return pid
}

// rssBytes is the resident set of pids.
func rssBytes(pids []int) float64 { return memoryField(pids, "status", "VmRSS:") }

// pssBytes is the proportional set size of pids: pages shared between them
// (PostgreSQL's shared buffers) count once, not once per backend.
func pssBytes(pids []int) float64 { return memoryField(pids, "smaps_rollup", "Pss:") }

// memoryField sums a kB field of a /proc/<pid> file over pids.
func memoryField(pids []int, file, key string) float64 {
	var total float64
	for _, pid := range pids {
		raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), file))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(raw), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == key {
				kb, _ := strconv.ParseFloat(f[1], 64)
				total += kb * 1024
				break
			}
		}
	}
	return total
}

// cpuSample is the CPU used so far by each process of the stack, by the
// benchmark itself (publishers and receiver share the machine), and by the
// whole machine (what else ran shows in the difference).
type cpuSample struct{ hookflow, temporal, postgres, bench, machine float64 }

// machineBusySeconds is the CPU time the machine spent outside idle and
// iowait, over all cores, from /proc/stat.
func machineBusySeconds() float64 {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	var busy float64
	for i := 1; i < len(f) && i <= 8; i++ {
		if i == 4 || i == 5 {
			continue
		}
		v, _ := strconv.ParseFloat(f[i], 64)
		busy += v
	}
	return busy / clockTicks
}

// procs names the processes the benchmark watches.
type procs struct {
	hookflow   []int
	temporal   int // 0: every process named temporal
	postmaster int // 0: every process named postgres
	// temporalPostmaster is a second cluster, Temporal's own (-stack prod), 0: none.
	temporalPostmaster int
}

// postgresPIDs are the processes of the watched clusters.
func (p procs) postgresPIDs() []int {
	pids := clusterPIDs(p.postmaster)
	if p.temporalPostmaster > 0 && p.postmaster > 0 {
		pids = append(pids, clusterPIDs(p.temporalPostmaster)...)
	}
	return pids
}

func (p procs) temporalPIDs() []int {
	if p.temporal > 0 {
		return []int{p.temporal}
	}
	return named("temporal")
}

func sampleCPU(p procs) cpuSample {
	return cpuSample{
		hookflow: cpuSecondsOf(p.hookflow),
		temporal: cpuSecondsOf(p.temporalPIDs()),
		postgres: cpuSecondsOf(p.postgresPIDs()),
		bench:    cpuSecondsOf([]int{os.Getpid()}),
		machine:  machineBusySeconds(),
	}
}

// memSample is the memory of each part of the stack, in bytes: the RSS of
// Hookflow and Temporal, the PSS of PostgreSQL's processes.
type memSample struct{ hookflow, temporal, postgres float64 }

func sampleMemory(p procs) memSample {
	return memSample{hookflow: rssBytes(p.hookflow), temporal: rssBytes(p.temporalPIDs()), postgres: pssBytes(p.postgresPIDs())}
}

func (a cpuSample) since(b cpuSample) cpuSample {
	return cpuSample{hookflow: a.hookflow - b.hookflow, temporal: a.temporal - b.temporal, postgres: a.postgres - b.postgres, bench: a.bench - b.bench, machine: a.machine - b.machine}
}
