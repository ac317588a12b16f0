package counters

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Read reads the protocol counters from procRoot ("" means /proc):
// net/snmp and net/netstat, and net/snmp6 when IPv6 is on.
func Read(procRoot string) (*Snapshot, error) {
	if procRoot == "" {
		procRoot = "/proc"
	}
	snap := &Snapshot{Time: time.Now()}
	for _, f := range []struct {
		name     string
		parse    func([]byte, string) ([]Counter, error)
		optional bool
	}{
		{"net/snmp", ParseSNMP, false},
		{"net/snmp6", ParseSNMP6, true}, // absent when IPv6 is off
		{"net/netstat", ParseSNMP, true},
	} {
		path := filepath.Join(procRoot, f.name)
		data, err := os.ReadFile(path)
		if err != nil {
			if f.optional && errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, err
		}
		cs, err := f.parse(data, path)
		if err != nil {
			return nil, err
		}
		snap.Counters = append(snap.Counters, cs...)
	}
	return snap, nil
}
