package exporter

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/portwatch/portwatch/collector"
)

// listenerSock is a TCP listener on addr held by pid/name.
func listenerSock(addr string, pid int, name string) collector.Socket {
	return collector.Socket{Proto: collector.ProtoTCP, Family: collector.FamilyIPv4, State: collector.StateListen,
		Local: netip.MustParseAddrPort(addr), Remote: netip.MustParseAddrPort("0.0.0.0:0"),
		Owners: []collector.Owner{{PID: pid, Process: name, FD: 3}}}
}

// connSock is an established connection to remote.
func connSock(local, remote string) collector.Socket {
	return collector.Socket{Proto: collector.ProtoTCP, Family: collector.FamilyIPv4, State: collector.StateEstablished,
		Local: netip.MustParseAddrPort(local), Remote: netip.MustParseAddrPort(remote)}
}

// fakeHost serves the snapshots of socks, which a test changes between
// scrapes, and counts the collections; the clock is the test's.
type fakeHost struct {
	mu    sync.Mutex
	socks []collector.Socket
	err   error
	now   time.Time
}

func (h *fakeHost) collect(context.Context) (*collector.Snapshot, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err != nil {
		return nil, h.err
	}
	return &collector.Snapshot{Sockets: append([]collector.Socket(nil), h.socks...)}, nil
}

func (h *fakeHost) clock() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now
}

func (h *fakeHost) set(advance time.Duration, socks ...collector.Socket) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.now = h.now.Add(advance)
	h.socks = socks
}

// scrape returns the exporter's /metrics text.
func scrape(t *testing.T, e *Exporter) string {
	t.Helper()
	rec := httptest.NewRecorder()
	e.Handler(10, 5*time.Second).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("/metrics: %d %s", rec.Code, rec.Body.String())
	}
	return rec.Body.String()
}

func TestListenersAndChanges(t *testing.T) {
	h := &fakeHost{now: time.Unix(1000, 0)}
	e := New(Options{Collect: h.collect, Now: h.clock, Version: "v1.2.3",
		Places: func(*collector.Snapshot) func(*collector.Socket) ListenerNames {
			return func(*collector.Socket) ListenerNames { return ListenerNames{Service: "http-alt", User: "www"} }
		}})
	h.set(0, listenerSock("0.0.0.0:8080", 100, "web"), listenerSock("0.0.0.0:8080", 101, "web"),
		listenerSock("127.0.0.1:5432", 200, "postgres"), connSock("10.0.0.1:40000", "10.0.0.2:443"))
	text := scrape(t, e)
	for _, want := range []string{
		`portwatch_listener_info{address="0.0.0.0",container="",exposure="all",netns="",port="8080",process="web",proto="tcp",service="http-alt",user="www"} 1`,
		`portwatch_listener_info{address="127.0.0.1",container="",exposure="loopback",netns="",port="5432",process="postgres",proto="tcp",service="http-alt",user="www"} 1`,
		`portwatch_sockets{family="ipv4",proto="tcp",state="LISTEN"} 3`,
		`portwatch_connections_by_remote_port{port="443",proto="tcp"} 1`,
		`portwatch_listener_changes_total{event="new"} 0`,
		`portwatch_build_info{version="v1.2.3"} 1`,
		`portwatch_collect_duration_seconds `,
		`go_goroutines `,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	if n := strings.Count(text, "portwatch_listener_info{"); n != 2 {
		t.Errorf("%d listener series, want 2 (two holders of one listener are one series)", n)
	}
	// A restart with new PIDs is no change; a listener that moved to every
	// address is one; one that went and one that came are counted.
	h.set(2*time.Second, listenerSock("0.0.0.0:8080", 300, "web"), listenerSock("0.0.0.0:5432", 201, "postgres"),
		listenerSock("0.0.0.0:9100", 400, "node_exporter"))
	h.set(0, append(h.socks, listenerSock("127.0.0.1:5432", 201, "postgres"))...)
	text = scrape(t, e)
	for _, want := range []string{
		`portwatch_listener_changes_total{event="new"} 2`,
		`portwatch_listener_changes_total{event="gone"} 0`,
		`portwatch_listener_changes_total{event="changed"} 0`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("after the restart: scrape lacks %s", want)
		}
	}
	h.set(2*time.Second, listenerSock("0.0.0.0:8080", 300, "web"), listenerSock("127.0.0.1:5432", 201, "pgbouncer"))
	text = scrape(t, e)
	for _, want := range []string{
		`portwatch_listener_changes_total{event="new"} 2`,
		`portwatch_listener_changes_total{event="gone"} 2`,
		`portwatch_listener_changes_total{event="changed"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("after the second change: scrape lacks %s", want)
		}
	}
}

func TestNoProcessLabels(t *testing.T) {
	h := &fakeHost{socks: []collector.Socket{listenerSock("0.0.0.0:22", 1, "sshd")}}
	e := New(Options{Collect: h.collect, NoProcessLabels: true})
	if text := scrape(t, e); !strings.Contains(text, `process=""`) || strings.Contains(text, "sshd") {
		t.Errorf("--no-process-labels still names the process:\n%s", text)
	}
}

// The busiest remote ports are kept within MaxSeries; the others are
// counted as dropped at every collection.
func TestMaxSeries(t *testing.T) {
	h := &fakeHost{now: time.Unix(1000, 0)}
	var socks []collector.Socket
	for port := range 10 {
		for range port + 1 {
			socks = append(socks, connSock("10.0.0.1:40000", "10.0.0.2:"+strconv.Itoa(1000+port)))
		}
	}
	h.set(0, socks...)
	e := New(Options{Collect: h.collect, Now: h.clock, MaxSeries: 3})
	text := scrape(t, e)
	if n := strings.Count(text, "portwatch_connections_by_remote_port{"); n != 3 {
		t.Errorf("%d remote-port series, want 3", n)
	}
	for _, want := range []string{`port="1009",proto="tcp"} 10`, `port="1007",proto="tcp"} 8`,
		`portwatch_series_dropped_total{metric="portwatch_connections_by_remote_port"} 7`} {
		if !strings.Contains(text, want) {
			t.Errorf("scrape lacks %s:\n%s", want, text)
		}
	}
	h.set(2*time.Second, socks...)
	if text := scrape(t, e); !strings.Contains(text, `portwatch_series_dropped_total{metric="portwatch_connections_by_remote_port"} 14`) {
		t.Errorf("the second collection's dropped series are not added:\n%s", text)
	}
}

// Scrapes within MinInterval share one collection, even when they come
// all at once; a failed collection is counted and the rest is served.
func TestScrapesShareCollections(t *testing.T) {
	h := &fakeHost{now: time.Unix(1000, 0), socks: []collector.Socket{listenerSock("0.0.0.0:22", 1, "sshd")}}
	e := New(Options{Collect: h.collect, Now: h.clock, MinInterval: time.Second})
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := e.Registry().Gather(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := e.Collections(); n != 1 {
		t.Errorf("50 scrapes at once: %d collections, want 1", n)
	}
	h.set(1500 * time.Millisecond)
	scrape(t, e)
	if n := e.Collections(); n != 2 {
		t.Errorf("after the interval: %d collections, want 2", n)
	}
	h.mu.Lock()
	h.err, h.now = errors.New("netlink: permission denied"), h.now.Add(2*time.Second)
	h.mu.Unlock()
	text := scrape(t, e)
	if !strings.Contains(text, "portwatch_collect_errors_total 1") || !strings.Contains(text, "go_goroutines") {
		t.Errorf("a failed collection:\n%s", text)
	}
	if n, err := testutil.GatherAndCount(e.Registry(), "portwatch_listener_info"); err == nil || n != 0 {
		t.Errorf("a failed collection still lists listeners (%d) or reports no error (%v)", n, err)
	}
}

// A connection accepted by a listener is not counted by its remote port,
// the client's ephemeral one.
func TestRemotePortsLeaveAcceptedOut(t *testing.T) {
	h := &fakeHost{socks: []collector.Socket{listenerSock("0.0.0.0:8080", 1, "web"),
		connSock("10.0.0.1:8080", "10.0.0.9:51234"), connSock("10.0.0.1:40000", "10.0.0.2:5432")}}
	text := scrape(t, New(Options{Collect: h.collect}))
	if strings.Contains(text, `port="51234"`) || !strings.Contains(text, `portwatch_connections_by_remote_port{port="5432",proto="tcp"} 1`) {
		t.Errorf("remote ports:\n%s", text)
	}
}
