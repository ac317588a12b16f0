package containers

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// conmon's command line as podman starts it, and as CRI-O does.
func TestParseConmonArgs(t *testing.T) {
	podman := "--api-version 1 -c " + dbID + " -u " + dbID + " -r /usr/bin/runc -b /var/lib/containers/storage/overlay-containers/" +
		dbID + "/userdata -p /run/pidfile -n db --exit-dir /run/libpod/exits --full-attach -l k8s-file:/x/ctr.log"
	crio := "-b /run/containers/storage/overlay-containers/" + podID + "/userdata --cid=" + podID + " --name=k8s_api_web-7d9f_prod_uid_0 -r /usr/bin/runc"
	for _, c := range []struct {
		args string
		want Info
	}{
		{podman, Info{Runtime: "podman", ID: dbID, Name: "db"}},
		{crio, Info{Runtime: "podman", ID: podID, Name: "k8s_api_web-7d9f_prod_uid_0"}},
	} {
		if got, err := ParseConmonArgs(strings.Fields(c.args)); err != nil || got != c.want {
			t.Errorf("ParseConmonArgs(%s) = %+v, %v; want %+v", c.args, got, err, c.want)
		}
	}
	for _, c := range []struct{ args, names string }{
		{"--api-version 1 -n db", `id ""`},
		{"-c abc", `"abc"`},
		{"-n db -c", "-c has no value"},
	} {
		if _, err := ParseConmonArgs(strings.Fields(c.args)); err == nil || !strings.Contains(err.Error(), c.names) {
			t.Errorf("ParseConmonArgs(%q): error %v, want one naming %s", c.args, err, c.names)
		}
	}
}

func FuzzParseConmonArgs(f *testing.F) {
	f.Add("--api-version 1 -c " + dbID + " -n db")
	f.Add("--cid=" + podID + " --name=x -c")
	f.Fuzz(func(t *testing.T, line string) {
		info, err := ParseConmonArgs(strings.Split(line, " "))
		if err == nil && (!isID(info.ID) || info.Runtime != "podman") {
			t.Fatalf("accepted %+v from %q", info, line)
		}
	})
}

// podman's state gives the container's PID, 0 for a stopped one or a
// state that does not parse.
func TestPodmanStatePID(t *testing.T) {
	for state, want := range map[string]int{`{"state":3,"pid":4242,"netNS":""}`: 4242, `{"state":4}`: 0, `{"pid":-1}`: 0, `nonsense`: 0, ``: 0} {
		if got := podmanStatePID([]byte(state)); got != want {
			t.Errorf("podmanStatePID(%q) = %d, want %d", state, got, want)
		}
	}
}

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
