package collector

import (
	"context"
	"fmt"
	"os"
)

// findOwners walks /proc/<pid>/fd of every process and records which
// processes hold the sockets in socks. Processes that exit during the walk
// and fd tables this user may not read are counted, not errors.
//
// The walk stops as soon as every socket has an owner, unless one of them
// is listening or everyHolder is set: a listener (or an unconnected UDP
// socket) is often shared by several processes (a pre-fork server's
// workers), and all of them are listed, which takes the whole walk. A
// connection is held by one process in practice, so for connections alone
// the first holder found ends the search for that socket; which holder
// that is depends on the order of the walk, so a caller that filters on
// owners (a connection shared after fork, kept for the child the user
// asked for) sets everyHolder.
func findOwners(ctx context.Context, procRoot string, socks []Socket, everyHolder bool, warn func(string)) error {
	w := &fdWalk{procRoot: procRoot, nsocks: len(socks), wanted: make(map[uint64]int32, len(socks)), stopEarly: !everyHolder}
	for i := range socks {
		if socks[i].Inode != 0 {
			w.wanted[socks[i].Inode] = int32(i)
			if socks[i].Listening() {
				w.stopEarly = false
			}
		}
	}
	if len(w.wanted) == 0 {
		attachOwners(socks, nil, nil, walkStats{}, os.Geteuid())
		return nil
	}
	dirs, err := listProcs(procRoot)
	if err != nil {
		return fmt.Errorf("cannot list processes in %s: %w", procRoot, err)
	}
	procs := make([]*procFDs, len(dirs))
	backing := make([]procFDs, len(dirs))
	for i, d := range dirs {
		backing[i] = procFDs{pid: d.pid, dirIno: d.ino}
		procs[i] = &backing[i]
	}
	res, err := w.run(ctx, procs)
	if err != nil {
		return err
	}
	for _, msg := range res.warnings {
		warn(msg)
	}
	attachOwners(socks, res.hits, res.comm, res.stats, os.Geteuid())
	return nil
}
