package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"strings"

	"github.com/portwatch/portwatch/collector"
	"github.com/portwatch/portwatch/render"
)

// replayCollector is a collector.Collector over a snapshot file saved with
// --json (--replay FILE). It applies the options as a kernel collector
// would: protocols, families, the filter's table fields, then its owners.
// It reads the file at every Collect, so that watch --replay shows the
// changes of a file replaced (written elsewhere, then renamed into place)
// between refreshes.
type replayCollector struct {
	path string
	opts collector.Options
}

// Collect implements collector.Collector. A file that cannot be read as a
// snapshot is a usage error: it names the file and the problem.
func (r *replayCollector) Collect(ctx context.Context) (*collector.Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	snap, err := readReplay(r.path)
	if err != nil {
		return nil, err
	}
	o := &r.opts
	kept := snap.Sockets[:0]
	for i := range snap.Sockets {
		s := &snap.Sockets[i]
		if o.WantProto(s.Proto) && o.WantFamily(s.Family) && o.Filter.Match(s) && o.Filter.MatchOwners(s) {
			kept = append(kept, *s)
		}
	}
	snap.Sockets = kept
	return snap, nil
}

// readReplay reads the snapshot file at path.
func readReplay(path string) (*collector.Snapshot, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, usagef("cannot read --replay file: %s", render.Sanitize(err.Error()))
	}
	defer file.Close()
	snap, err := render.ReadJSON(bufio.NewReader(file))
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "read snapshot: ")
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			msg = "the file ends early, truncated (" + msg + ")"
		}
		return nil, usagef("invalid --replay file %s: %s; want a snapshot saved with portwatch --json",
			render.Sanitize(path), render.Sanitize(msg))
	}
	return snap, nil
}
