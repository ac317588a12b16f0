//go:build exporter

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/exporter-toolkit/web"

	"github.com/portwatch/portwatch/audit"
	"github.com/portwatch/portwatch/collector"
	"github.com/portwatch/portwatch/exporter"
	"github.com/portwatch/portwatch/process"
	"github.com/portwatch/portwatch/render"
)

// exporterBuild is true: this build links the Prometheus client.
const exporterBuild = true

// runInExporter is never reached in this build, which is the exporter.
func runInExporter(context.Context, io.Writer, io.Writer) error {
	return failf("internal error: the exporter build asked for the exporter")
}

// writeAuditTextfile writes the audit metrics of rep to path.
func writeAuditTextfile(path string, rep *audit.Report, rules *audit.Rules) error {
	return exporter.WriteTextfile(path, exporter.AuditMetrics(rep, rules, false))
}

// runServe serves the metrics until SIGINT or SIGTERM, then shuts the
// server down (exit 0).
func runServe(ctx context.Context, f *serveFlags, stdout, stderr io.Writer) error {
	if f.webConfig != "" {
		if err := web.Validate(f.webConfig); err != nil {
			// YAML's errors take several lines: one line here.
			why := strings.Join(strings.Fields(err.Error()), " ")
			return usagef("invalid --web.config.file %s: %s", render.Sanitize(f.webConfig), render.Sanitize(why))
		}
	}
	reg, err := loadRegistry("", stderr)
	if err != nil {
		return err
	}
	opts := collector.Options{
		Owners:      !f.noProcessLabels,
		Incremental: true,
		Protos:      []collector.Proto{collector.ProtoTCP, collector.ProtoUDP},
	}
	if err := setNamespaces(&opts, f.netns, ""); err != nil {
		return err
	}
	c, err := collector.New(opts)
	if err != nil {
		return collectError(ctx, err, collector.SourceAuto)
	}
	rules, err := loadRules("", stderr)
	if err != nil {
		return err
	}
	users := newUserCache()
	procs := process.NewReader("")
	// Where each socket is (namespace, container, published ports) is a
	// walk of the owners' cgroups: once per collection, for the labels
	// and then the audit. Both run under the exporter's lock.
	var placedSnap *collector.Snapshot
	var place func(*collector.Socket) listenerPlace
	placeIn := func(snap *collector.Snapshot) func(*collector.Socket) listenerPlace {
		if snap != placedSnap {
			placedSnap, place = snap, placesOf(snap)
		}
		return place
	}
	var warned sync.Map
	exp := exporter.New(exporter.Options{
		Collect: func(ctx context.Context) (*collector.Snapshot, error) {
			snap, err := c.Collect(ctx)
			if err == nil {
				for _, w := range snap.Warnings {
					if _, seen := warned.LoadOrStore(w, true); !seen {
						fmt.Fprintf(stderr, "portwatch: warning: %s\n", w)
					}
				}
			}
			return snap, err
		},
		MinInterval:     f.minInterval.d,
		MaxSeries:       f.maxSeries,
		NoProcessLabels: f.noProcessLabels,
		Version:         versionString(),
		// Called under the exporter's lock: the user cache is not shared.
		Places: func(snap *collector.Snapshot) func(*collector.Socket) exporter.ListenerNames {
			place := placeIn(snap)
			return func(s *collector.Socket) exporter.ListenerNames {
				p := place(s)
				return exporter.ListenerNames{Service: reg.Name(s.Proto.String(), s.Local.Port()), User: users.name(s.UID),
					Netns: p.netns, Container: p.container, Exposure: p.auditExposure(s)}
			}
		},
		Rules: rules,
		Audit: func(snap *collector.Snapshot) *audit.Report {
			var listening []collector.Socket
			for _, s := range snap.Sockets {
				if s.Listening() {
					listening = append(listening, s)
				}
			}
			rep := audit.Evaluate(auditListeners(listening, reg, procs, users.name, placeIn(snap)), rules, nil)
			placedSnap, place = nil, nil // the audit comes last: let the snapshot go
			return rep
		},
	})
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", exp.Handler(f.maxRequests, 30*time.Second))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "portwatch exporter: the metrics are at /metrics, health at /healthz\n")
	})
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return failf("cannot listen on %s: %v (another process may hold it: portwatch who %s)", f.listen, err, portOf(f.listen))
	}
	fmt.Fprintf(stderr, "portwatch: serving metrics on http://%s/metrics\n", ln.Addr())
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	done := make(chan error, 1)
	go func() {
		// TLS and basic auth as the web config file says; plain HTTP
		// without one.
		systemd := false
		addrs := []string{f.listen}
		logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		done <- web.Serve(ln, srv, &web.FlagConfig{WebListenAddresses: &addrs, WebSystemdSocket: &systemd,
			WebConfigFile: &f.webConfig}, logger)
	}()
	select {
	case err := <-done:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return failf("serving on %s: %v", f.listen, err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return failf("stopping the server: %v", err)
	}
	return nil
}

// portOf is the port of a HOST:PORT address.
func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}
