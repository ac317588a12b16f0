package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/portwatch/portwatch/collector"
	"github.com/portwatch/portwatch/containers"
	"github.com/portwatch/portwatch/render"
	"github.com/portwatch/portwatch/watch"
)

const watchExamples = `  portwatch watch                  live view of every socket; q quits, ? shows the keys
  portwatch watch -tlo --port 443  listeners on port 443 and their owners
  portwatch -c -ano                the same live view, netstat -c style
  portwatch watch --json | jq -c 'select(.event=="added")'
                                   a change log: one JSON event per line
  portwatch watch -o --changes-only >> sockets.log
                                   plain text change log, without the sockets already open`

func newWatchCommand(f *listFlags, stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "watch [flags]",
		Short: "Show sockets live: new, closed and changed ones stand out",
		Long: `portwatch watch refreshes the socket table every --interval and shows
what changed: new sockets in green with a +, closed ones in red with a -
for a few refreshes, state and owner changes in yellow with a ~.

On a terminal it is a full-screen view (keys: q quit, space pause,
s sort, / filter, l listening only, o owners, arrows and PgUp/PgDn
scroll, ? help). Otherwise, or with --json, it writes one event per
line: added, removed or changed, starting with an added event for every
socket already open unless --changes-only.

Unlike the list, watch shows listening sockets too unless -l or --state
narrows it. Every list filter applies.`,
		Example:       watchExamples,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWatch(cmd.Context(), f, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	bindListFlags(fl, f)
	bindWatchFlags(fl, f)
	// Accepted (with a clear error) but not offered: it does not apply.
	fl.MarkHidden("summary")
	return cmd
}

// bindWatchFlags defines the flags of watch mode.
func bindWatchFlags(fl *pflag.FlagSet, f *listFlags) {
	fl.Var(&f.interval, "interval", "time between refreshes: 1s, 500ms, 2m or seconds (default 1s)")
	fl.BoolVar(&f.changesOnly, "changes-only", false, "event stream: no added events for the sockets open at start")
	fl.IntVar(&f.count, "count", 0, "stop after this many refreshes (0: until interrupted)")
}

// defaultInterval is the refresh interval when none is given.
const defaultInterval = time.Second

// runWatch is watch mode: a live view on a terminal, an event stream
// otherwise.
func runWatch(ctx context.Context, f *listFlags, stdout, stderr io.Writer) error {
	f.watching = true
	if err := f.checkOutput(); err != nil {
		return err
	}
	if err := f.checkContainer(); err != nil {
		return err
	}
	switch {
	case f.format.value == "csv":
		return usagef("watch mode writes a table or JSON events, not --format csv")
	case f.summary:
		return usagef("--summary cannot be combined with watch mode")
	case f.continuous.d != 0 && f.interval.d != 0 && f.continuous.d != f.interval.d:
		return usagef("-c %v and --interval %v disagree: give one of them", f.continuous.d, f.interval.d)
	case f.count < 0:
		return usagef("invalid --count %d: want 0 (until interrupted) or more refreshes", f.count)
	}
	interval := defaultInterval
	if f.interval.d != 0 {
		interval = f.interval.d
	} else if f.continuous.d != 0 {
		interval = f.continuous.d
	}

	reg, err := loadRegistry(f.servicesFile, stderr)
	if err != nil {
		return err
	}
	ropts := render.Options{
		Owners:   f.owner || f.program,
		Extended: f.extended,
		Numeric:  f.numeric,
		Services: reg,
		UserName: newUserCache().name,
	}
	src := &watchSource{flags: f, services: reg}
	if isTerminal(stdout) && f.format.value == "table" {
		src.view = true
	}
	if _, err := src.collector(collectWhat{owners: f.wantOwners(), info: f.info}); err != nil {
		return err
	}
	if f.replay != "" {
		// A bad file is said before the live view takes the screen.
		if _, err := readReplay(f.replay); err != nil {
			return err
		}
	}
	if src.view {
		return runWatchView(ctx, src, ropts, interval, f, stderr)
	}
	return runWatchStream(ctx, src, ropts, interval, f, stdout, stderr)
}

// watchSource collects the snapshots of watch mode. It keeps one
// incremental collector per choice of owners and internals, so that the
// live view can switch owners (o) and rates (b) on and off and keep each
// one's cache.
type watchSource struct {
	flags      *listFlags
	services   render.ServiceNamer
	collectors map[collectWhat]collector.Collector
	view       bool // for the live view, which sorts by itself and closes sockets
	noted      bool // the hidden-owners note was written
	warned     map[string]bool
}

// collectWhat is what a collector of watchSource reads besides the
// sockets.
type collectWhat struct{ owners, info bool }

// collector returns the collector with or without owners and internals.
func (w *watchSource) collector(what collectWhat) (collector.Collector, error) {
	if c := w.collectors[what]; c != nil {
		return c, nil
	}
	opts := w.flags.collectorOptions()
	if err := setNamespaces(&opts, w.flags.netns, w.flags.replay); err != nil {
		return nil, err
	}
	opts.Owners, opts.Info = what.owners, what.info
	opts.Incremental = true
	// The view's k ends a connection by its cookie.
	opts.Cookies = w.view && opts.Source != collector.SourceProcfs
	c, err := newCollector(w.flags.replay, opts)
	if err != nil {
		return nil, err
	}
	if w.collectors == nil {
		w.collectors = make(map[collectWhat]collector.Collector)
	}
	w.collectors[what] = c
	return c, nil
}

// collect takes one snapshot (the collector applies the owner filters)
// and writes new warnings (each distinct one once) to stderr.
func (w *watchSource) collect(ctx context.Context, what collectWhat, stderr io.Writer) (*collector.Snapshot, error) {
	what.owners = what.owners || w.flags.wantOwners()
	what.info = what.info || w.flags.info
	owners := what.owners
	c, err := w.collector(what)
	snap, err := c.Collect(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, collectError(ctx, err, w.flags.collectorOptions().Source)
	}
	for _, msg := range snap.Warnings {
		if !w.warned[msg] && stderr != nil {
			if w.warned == nil {
				w.warned = make(map[string]bool)
			}
			w.warned[msg] = true
			fmt.Fprintf(stderr, "portwatch: warning: %s\n", render.Sanitize(msg))
		}
	}
	if w.flags.container != "" {
		inContainer, _ := ownerContainers(snap.Sockets, containers.NewNamer(""))
		snap.Sockets = keepContainer(snap.Sockets, w.flags.container, inContainer)
	}
	if owners {
		if n := collector.CountOwnerUnknown(snap, collector.OwnerPermission); n > 0 && !w.noted && stderr != nil {
			w.noted = true
			fmt.Fprintln(stderr, hiddenOwnersNote(n, os.Geteuid() == 0))
		}
	}
	// The live view sorts what it shows; a stream is in the kernel's
	// order unless --sort asks for another.
	if w.flags.sort != "" && !w.view {
		if err := render.Sort(snap.Sockets, w.flags.sort, w.services); err != nil {
			return nil, usagef("invalid --sort %q: %v", w.flags.sort, err)
		}
	}
	return snap, nil
}

// runWatchStream writes the change stream: one event per line, JSON or
// text, flushed after every refresh. SIGINT and SIGTERM end it with exit 0.
func runWatchStream(ctx context.Context, src *watchSource, ropts render.Options, interval time.Duration,
	f *listFlags, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	writeEvent := render.EventText
	if f.format.value == "json" {
		writeEvent = render.EventJSON
	}
	out := bufio.NewWriterSize(stdout, 64<<10)
	var prev []collector.Socket
	next := time.Now()
	for n := 0; f.count == 0 || n < f.count; n++ {
		if n > 0 {
			next = next.Add(interval)
			if wait := time.Until(next); wait > 0 {
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(wait):
				}
			} else {
				next = time.Now() // running late: do not try to catch up
			}
		}
		snap, err := src.collect(ctx, collectWhat{}, stderr)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		events := watch.Diff(prev, snap.Sockets, snap.Time)
		prev = snap.Sockets
		ropts.Namespaces = snap.Namespaces
		if n == 0 && f.changesOnly {
			continue
		}
		for i := range events {
			if err := writeEvent(out, &events[i], ropts); err != nil {
				return streamError(err)
			}
		}
		if err := out.Flush(); err != nil {
			return streamError(err)
		}
	}
	return nil
}

// streamError turns a write error into the command's error: a closed pipe
// ends the stream quietly.
func streamError(err error) error {
	if isBrokenPipe(err) {
		return err
	}
	return failf("writing output: %v", err)
}
