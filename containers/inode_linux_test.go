package containers

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// A container's namespace file that is not a namespace here (rootless
// podman's, bind-mounted in the user's own mount namespace, is an empty
// file from outside) gives way to its process's; a namespace file is
// kept.
func TestNetnsOf(t *testing.T) {
	var own syscall.Stat_t
	if err := syscall.Stat("/proc/self/ns/net", &own); err != nil {
		t.Skipf("no network namespace files here: %v", err)
	}
	empty := filepath.Join(t.TempDir(), "netns-x")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	n := NewNamer("")
	pid := os.Getpid()
	if path, ino := n.netnsOf(empty, pid); path != "/proc/"+strconv.Itoa(pid)+"/ns/net" || ino != own.Ino {
		t.Errorf("an empty file and pid %d: %s %d, want the process's namespace %d", pid, path, ino, own.Ino)
	}
	if path, ino := n.netnsOf("/proc/self/ns/net", 0); path != "/proc/self/ns/net" || ino != own.Ino {
		t.Errorf("a namespace file: %s %d", path, ino)
	}
	if path, ino := n.netnsOf(empty, 0); path != empty || ino != 0 {
		t.Errorf("an empty file, no pid: %s %d, want it with inode 0", path, ino)
	}
}
