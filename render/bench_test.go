package render

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/portwatch/portwatch/collector"
)

func benchSnapshot(n int) *collector.Snapshot {
	return &collector.Snapshot{
		Time:    time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC),
		Host:    "bench",
		Source:  collector.SourceNetlink,
		Sockets: makeSockets(n, 11),
	}
}

var benchOpts = Options{
	Owners: true, Extended: true,
	Services: benchServices,
	UserName: func(uid int) string {
		if uid == 0 {
			return "root"
		}
		return ""
	},
}

// BenchmarkJSON reports the cost of writing one socket (ns/socket).
func BenchmarkJSON(b *testing.B) {
	snap := benchSnapshot(100000)
	var cw countWriter
	if err := JSON(&cw, snap, benchOpts); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(cw))
	b.ReportAllocs()
	for b.Loop() {
		if err := JSON(io.Discard, snap, benchOpts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(snap.Sockets)), "ns/socket")
}

// countWriter counts the bytes written to it.
type countWriter int

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}

func BenchmarkReadJSON(b *testing.B) {
	snap := benchSnapshot(100000)
	var buf bytes.Buffer
	if err := JSON(&buf, snap, benchOpts); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ReadJSON(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(snap.Sockets)), "ns/socket")
}

func BenchmarkCSV(b *testing.B) {
	snap := benchSnapshot(100000)
	for b.Loop() {
		if err := CSV(io.Discard, snap, benchOpts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(snap.Sockets)), "ns/socket")
}

func BenchmarkTable(b *testing.B) {
	snap := benchSnapshot(10000)
	for b.Loop() {
		if err := Table(io.Discard, snap, benchOpts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(snap.Sockets)), "ns/socket")
}

func BenchmarkSanitizeClean(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = Sanitize("systemd-resolved")
	}
}

// BenchmarkTableInternals reports the cost of a -i table (ns/socket): each
// socket with a full tcp_info and memory.
func BenchmarkTableInternals(b *testing.B) {
	snap := benchSnapshot(10000)
	in := make([]collector.Internals, len(snap.Sockets))
	for i := range snap.Sockets {
		in[i] = collector.Internals{HasTCP: true, HasMem: true, Cong: collector.CongestionNamed("cubic"),
			TCP: collector.TCPInfo{RTT: 52, RTTVar: 26, SndCwnd: 10, SndMSS: 32768, BytesSent: 300000, BytesAcked: 300001,
				BytesReceived: 70000, SegsIn: 12, SegsOut: 20, DeliveryRate: 1 << 30, PacingRate: 1 << 31, Size: 232},
			Mem: collector.MemInfo{RcvBuf: 131072, SndBuf: 16384, Count: 9}}
		snap.Sockets[i].Internals = &in[i]
	}
	for b.Loop() {
		if err := Table(io.Discard, snap, benchOpts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(snap.Sockets)), "ns/socket")
}
