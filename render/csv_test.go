package render

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"testing"

	"github.com/portwatch/portwatch/collector"
)

// referenceCSV is CSV written with encoding/csv, one string per field.
func referenceCSV(w io.Writer, snap *collector.Snapshot, opts Options) error {
	cw := csv.NewWriter(w)
	withNetns := len(snap.Namespaces) > 0
	names := map[uint64]string{}
	for _, n := range snap.Namespaces {
		names[n.Inode] = n.Name
	}
	if !opts.NoHeader {
		header := wantCSVHeader
		if withNetns {
			header = append(slices.Clone(header), "netns", "netns_name")
		}
		if err := cw.Write(header); err != nil {
			return err
		}
	}
	users := newUserNames(opts.UserName)
	for i := range snap.Sockets {
		s := &snap.Sockets[i]
		proto := s.Proto.String()
		pid, process := 0, ""
		if o := firstOwner(s); o != nil {
			pid, process = o.PID, o.Process
		}
		record := []string{
			proto,
			s.Family.String(),
			csvAddr(s.Local),
			strconv.FormatUint(uint64(s.Local.Port()), 10),
			csvAddr(s.Remote),
			strconv.FormatUint(uint64(s.Remote.Port()), 10),
			s.StateName(),
			strconv.Itoa(s.UID),
			Sanitize(users.name(s.UID)),
			strconv.FormatUint(s.Inode, 10),
			strconv.FormatUint(uint64(s.RecvQ), 10),
			strconv.FormatUint(uint64(s.SendQ), 10),
			Sanitize(portName(opts.Services, proto, s.Local.Port())),
			Sanitize(portName(opts.Services, proto, s.Remote.Port())),
			strconv.Itoa(pid),
			Sanitize(process),
			csvOwners(s.Owners),
			Sanitize(s.OwnerUnknown.String()),
		}
		if withNetns {
			record = append(record, strconv.FormatUint(s.Netns, 10), Sanitize(names[s.Netns]))
		}
		if err := cw.Write(record); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func checkCSVSame(t *testing.T, snap *collector.Snapshot, opts Options) {
	t.Helper()
	var got, want bytes.Buffer
	if err := CSV(&got, snap, opts); err != nil {
		t.Fatal(err)
	}
	if err := referenceCSV(&want, snap, opts); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		gl, wl := bytes.Split(got.Bytes(), []byte("\n")), bytes.Split(want.Bytes(), []byte("\n"))
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if !bytes.Equal(gl[i], wl[i]) {
				t.Fatalf("CSV differs from encoding/csv at line %d:\ngot  %q\nwant %q", i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("CSV wrote %d lines, encoding/csv %d", len(gl), len(wl))
	}
}

// TestCSVSameAsEncodingCSV checks that CSV writes what encoding/csv writes
// for the test inputs and for varied sockets whose names need quoting.
func TestCSVSameAsEncodingCSV(t *testing.T) {
	for _, in := range testInputs(t) {
		snap := readTestSnapshot(t, in)
		for _, o := range []Options{{}, {NoHeader: true}} {
			checkCSVSame(t, snap, withTestNames(o))
			checkCSVSame(t, snap, o)
		}
	}
	snap := &collector.Snapshot{Sockets: makeWeirdSockets(3000, 31)}
	for _, s := range weirdNames {
		// Each name as a zone too, in every position of the record.
		snap.Sockets = append(snap.Sockets, collector.Socket{
			Proto: collector.ProtoUDP, Family: collector.FamilyIPv6,
			Local:  netip.AddrPortFrom(netip.MustParseAddr("fe80::1").WithZone(s), 1),
			Owners: []collector.Owner{{PID: 1, Process: s}, {PID: 2, Process: s + ";" + s}},
		})
	}
	checkCSVSame(t, snap, Options{Services: weirdServices{}, UserName: weirdUserName})
	checkCSVSame(t, snap, Options{})
}

func TestCSVFieldQuoting(t *testing.T) {
	for _, f := range []string{"", "a", " a", "a ", "\u00a0a", "\u3000", "a,b", `a"b`, `"`, `""`, "\\.", "\\.x", "a\nb", "a\rb", "\\", "é", "\ta", "\va", "\fa", "\x85a", "\u0085a", "\u2000a", "\x1fa", ".\\"} {
		var want bytes.Buffer
		cw := csv.NewWriter(&want)
		if err := cw.Write([]string{f}); err != nil {
			t.Fatal(err)
		}
		cw.Flush()
		got := append(appendCSVField([]byte("x"), f), '\n')
		if string(got[1:]) != want.String() {
			t.Errorf("appendCSVField(%q) = %q, want %q", f, got[1:], want.String())
		}
	}
}

func TestCSVWriteError(t *testing.T) {
	snap := &collector.Snapshot{Sockets: makeSockets(5000, 1)}
	for _, n := range []int{0, 100000} {
		if err := CSV(&errWriter{n: n}, snap, Options{}); !errors.Is(err, errWrite) {
			t.Errorf("CSV to a writer failing after %d bytes: %v, want %v", n, err, errWrite)
		}
	}
}

// TestRenderAllocations checks that JSON and CSV allocate the same few
// times for any number of sockets: they stream, holding no document.
func TestRenderAllocations(t *testing.T) {
	for name, render := range map[string]func(io.Writer, *collector.Snapshot, Options) error{"JSON": JSON, "CSV": CSV} {
		var counts []float64
		for _, n := range []int{100, 10000} {
			snap := &collector.Snapshot{Sockets: makeSockets(n, 5)}
			counts = append(counts, testing.AllocsPerRun(3, func() {
				if err := render(io.Discard, snap, benchOpts); err != nil {
					t.Fatal(err)
				}
			}))
		}
		if counts[0] != counts[1] || counts[1] > 10 {
			t.Errorf("%s allocations for 100 and 10000 sockets: %v, want the same few", name, counts)
		}
	}
}
