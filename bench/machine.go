//go:build linux

package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Machine describes where the benchmark ran.
type Machine struct {
	Date      string `json:"date"`
	CPU       string `json:"cpu"`
	CPUs      int    `json:"cpus"`
	Memory    string `json:"memory"`
	Kernel    string `json:"kernel"`
	Go        string `json:"go"`
	Portwatch string `json:"portwatch"`
	SS        string `json:"ss"`
	Netstat   string `json:"netstat"`
	Lsof      string `json:"lsof"`
	Limits    string `json:"limits"`
}

// machineInfo reads the machine's description from /proc, uname and the
// tools themselves.
func machineInfo(portwatch string, tools map[string]string) Machine {
	m := Machine{
		Date:   time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		CPU:    "unknown",
		Memory: "unknown",
		Go:     runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH,
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			switch {
			case !ok:
			case k == "processor":
				m.CPUs++
			case k == "model name" && m.CPU == "unknown":
				m.CPU = v
			}
		}
	}
	if m.CPUs == 0 {
		m.CPUs = runtime.NumCPU()
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				f := strings.Fields(v)
				if kb, err := strconv.ParseFloat(f[0], 64); err == nil {
					m.Memory = strconv.FormatFloat(kb/(1<<20), 'f', 1, 64) + " GiB"
				}
			}
		}
	}
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		m.Kernel = utsString(u.Sysname[:]) + " " + utsString(u.Release[:]) + " " + utsString(u.Machine[:])
	}
	m.Portwatch = firstLine(portwatch, "version")
	m.SS = toolVersion(tools["ss"], "-V")
	m.Netstat = toolVersion(tools["netstat"], "-V")
	m.Lsof = lsofVersion(tools["lsof"])
	m.Limits = "somaxconn " + procValue("/proc/sys/net/core/somaxconn") +
		", ephemeral ports " + strings.Join(strings.Fields(procValue("/proc/sys/net/ipv4/ip_local_port_range")), "-")
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil {
		m.Limits += ", open files per process " + strconv.FormatUint(rl.Max, 10)
	}
	return m
}

func utsString[T int8 | uint8](b []T) string {
	var s []byte
	for _, c := range b {
		if c == 0 {
			break
		}
		s = append(s, byte(c))
	}
	return string(s)
}

func procValue(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}

// firstLine runs path with args and returns the first line it printed.
func firstLine(path string, args ...string) string {
	if path == "" {
		return "missing"
	}
	out, _ := exec.Command(path, args...).CombinedOutput()
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if line == "" {
		return "unknown"
	}
	return line
}

func toolVersion(path string, args ...string) string { return firstLine(path, args...) }

// lsofVersion picks the "revision: 4.95.0" line of lsof -v.
func lsofVersion(path string) string {
	if path == "" {
		return "missing"
	}
	out, _ := exec.Command(path, "-v").CombinedOutput()
	for line := range strings.Lines(string(out)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "revision:"); ok {
			return "lsof " + strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// loadAvg is the 1, 5 and 15 minute load averages: other work on the
// machine while the bench ran shows up here.
func loadAvg() string {
	f := strings.Fields(procValue("/proc/loadavg"))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
