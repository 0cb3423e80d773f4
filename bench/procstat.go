package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ on Linux.
const clockTicks = 100

// cpuSeconds sums user and system time, with reaped children's, of every
// process whose command name is comm, or of pid alone when pid > 0.
func cpuSeconds(comm string, pid int) float64 {
	var total float64
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		p, _ := strconv.Atoi(filepath.Base(dir))
		if pid > 0 && p != pid {
			continue
		}
		stat, err := os.ReadFile(filepath.Join(dir, "stat"))
		if err != nil {
			continue
		}
		s := string(stat)
		open, closeIdx := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || closeIdx < 0 {
			continue
		}
		if pid <= 0 && s[open+1:closeIdx] != comm {
			continue
		}
		fields := strings.Fields(s[closeIdx+2:])
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

// cpuSample is the CPU used so far by each process of the stack, and by the
// benchmark itself (publishers and receiver share the machine).
type cpuSample struct{ hookflow, temporal, postgres, bench float64 }

// temporalPID is the benchmark's own dev server; 0 counts every process
// named temporal.
func sampleCPU(hookflowPID, temporalPID int) cpuSample {
	temporal := cpuSeconds("temporal", 0)
	if temporalPID > 0 {
		temporal = cpuSeconds("", temporalPID)
	}
	return cpuSample{
		hookflow: cpuSeconds("", hookflowPID),
		temporal: temporal,
		postgres: cpuSeconds("postgres", 0),
		bench:    cpuSeconds("", os.Getpid()),
	}
}

func (a cpuSample) since(b cpuSample) cpuSample {
	return cpuSample{hookflow: a.hookflow - b.hookflow, temporal: a.temporal - b.temporal, postgres: a.postgres - b.postgres, bench: a.bench - b.bench}
}
