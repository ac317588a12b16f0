package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portwatch/portwatch/internal/testenv"
	"golang.org/x/sys/unix"
)

// fakeDocker stands in for a docker container where no container runtime
// runs: a cgroup named as docker's systemd driver names a container's
// (docker-<id>.scope) and the container's record where docker keeps it
// (/var/lib/docker/containers/<id>/config.v2.json), written only when
// this machine has no docker state of its own and removed afterwards. It
// returns the cgroup directory and the container's id.
func fakeDocker(t *testing.T, name string) (cgroupDir, id string) {
	t.Helper()
	cgroupDir, id = fakeContainerCgroup(t, "docker-", "/var/lib/docker")
	writeDockerRecord(t, id, name, "")
	return cgroupDir, id
}

// fakeContainerCgroup makes, for a container of a new random id, a cgroup
// named prefix+id+".scope" (as the runtime's systemd driver names it)
// under a slice of the test's, removed at the end. It skips when state
// (the runtime's records) exists on this machine, which the test's own
// records would be written beside.
func fakeContainerCgroup(t *testing.T, prefix, state string) (cgroupDir, id string) {
	t.Helper()
	testenv.NeedRoot(t, "make a cgroup and a container record")
	root := cgroup2Root()
	if root == "" {
		testenv.SkipOrFail(t, "no cgroup v2 hierarchy at /sys/fs/cgroup or /sys/fs/cgroup/unified")
	}
	if _, err := os.Stat(state); !errors.Is(err, fs.ErrNotExist) {
		t.Skipf("this machine has container state in %s: the test does not write beside it", state)
	}
	id = randomContainerID()

	slice := filepath.Join(root, "portwatch-test-"+strconv.Itoa(os.Getpid())+".slice")
	cgroupDir = filepath.Join(slice, prefix+id+".scope")
	if err := os.MkdirAll(cgroupDir, 0o755); err != nil {
		testenv.SkipOrFail(t, "cannot make a cgroup: %v", err)
	}
	t.Cleanup(func() {
		// A cgroup is busy until its last process is reaped: this runs
		// after the helpers' own cleanups, which are registered later.
		for _, d := range []string{cgroupDir, slice} {
			for try := 0; os.Remove(d) != nil && try < 100; try++ {
				time.Sleep(10 * time.Millisecond)
			}
		}
	})
	return cgroupDir, id
}

// enterCgroup puts pid in the cgroup dir, and back in the root cgroup
// before the test's end, so that dir can be removed.
func enterCgroup(t *testing.T, pid int, dir string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
		t.Fatalf("moving the helper %d into %s: %v", pid, dir, err)
	}
	t.Cleanup(func() { os.WriteFile(filepath.Join(cgroup2Root(), "cgroup.procs"), []byte(strconv.Itoa(pid)), 0) })
}

// TestContainerdPod: a listener held by a process in a cgroup named as
// containerd's CRI names a pod's container, whose bundle (the spec
// containerd keeps for a running container, with the CRI's annotations)
// names the pod: the owner is namespace/pod/container, and --container
// finds it by the pod's name.
func TestContainerdPod(t *testing.T) {
	named, _, _ := netnsFixture(t)
	dir, id := fakeContainerCgroup(t, "cri-containerd-", "/run/containerd")
	spec := filepath.Join("/run/containerd/io.containerd.runtime.v2.task/k8s.io", id, "config.json")
	if err := os.MkdirAll(filepath.Dir(spec), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll("/run/containerd") })
	pod := "pwtest-" + strconv.Itoa(os.Getpid())
	data := `{"ociVersion":"1.1.0","annotations":{"io.kubernetes.cri.container-type":"container","io.kubernetes.cri.container-name":"cache",` +
		`"io.kubernetes.cri.sandbox-name":"` + pod + `","io.kubernetes.cri.sandbox-namespace":"prod"}}`
	if err := os.WriteFile(spec, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	enterCgroup(t, named.pid, dir)

	pw := pwNetnsJSON(t, "-tuanp", "--netns", "all", "--container", pod)
	if len(pw.Sockets) < 6 {
		t.Fatalf("--container %s: %d sockets, want the helper's 6", pod, len(pw.Sockets))
	}
	for _, s := range pw.Sockets {
		c := s.Owners[0].Container
		if s.PID != named.pid || c == nil || c.Runtime != "containerd" || c.ID != id || c.Name != "cache" || c.Pod != pod || c.PodNamespace != "prod" {
			t.Errorf("%s: pid %d, container %+v; want %d in containerd's prod/%s/cache", pwKey(s), s.PID, c, named.pid, pod)
		}
	}
	r := runCmd(t, exec.Command(binPath, "-tlp", "--netns", named.name))
	if r.code != 0 || !strings.Contains(r.stdout, "prod/"+pod+"/cache") {
		t.Errorf("table: exit %d, want the Container cell prod/%s/cache:\n%s%s", r.code, pod, r.stdout, r.stderr)
	}
}

// writeDockerRecord writes a container's record where docker keeps it
// (/var/lib/docker/containers/<id>/config.v2.json), with network, when
// not "", as its NetworkSettings, and removes /var/lib/docker at the end
// of the test; the caller has checked that this machine has none.
func writeDockerRecord(t *testing.T, id, name, network string) {
	t.Helper()
	rec := filepath.Join("/var/lib/docker/containers", id, "config.v2.json")
	if err := os.MkdirAll(filepath.Dir(rec), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll("/var/lib/docker") })
	data := `{"ID":"` + id + `","Name":"/` + name + `","State":{"Running":true},"Config":{"Labels":{}}`
	if network != "" {
		data += `,"NetworkSettings":` + network
	}
	if err := os.WriteFile(rec, []byte(data+"}"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// cgroup2Root is where the cgroup v2 hierarchy is mounted: /sys/fs/cgroup,
// or /sys/fs/cgroup/unified on a hybrid system; "" when there is none.
func cgroup2Root() string {
	for _, dir := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		var st unix.Statfs_t
		if unix.Statfs(dir, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
			return dir
		}
	}
	return ""
}

// TestContainerOwners: a listener held by a process in a docker
// container's cgroup, inside a network namespace of its own, is listed
// with the container's name in the table and in JSON, and --container
// keeps exactly its sockets, by name or id prefix.
func TestContainerOwners(t *testing.T) {
	named, _, _ := netnsFixture(t)
	web := "portwatch-fake-" + strconv.Itoa(os.Getpid())
	dir, id := fakeDocker(t, web)
	enterCgroup(t, named.pid, dir)

	pw := pwNetnsJSON(t, "-tuanp", "--netns", named.name)
	inside := 0
	for _, s := range pw.Sockets {
		for _, o := range s.Owners {
			if o.PID != named.pid {
				continue
			}
			inside++
			if o.Container == nil || o.Container.Runtime != "docker" || o.Container.ID != id || o.Container.Name != web {
				t.Errorf("%s: owner %d's container %+v, want docker %s %s", pwKey(s), o.PID, o.Container, id, web)
			}
		}
	}
	if inside < 6 {
		t.Fatalf("%d sockets of the helper in %s, want its 6", inside, named.name)
	}

	r := runCmd(t, exec.Command(binPath, "-tlp", "--netns", named.name))
	if r.code != 0 || !strings.Contains(r.stdout, "Container") || !strings.Contains(r.stdout, web) {
		t.Errorf("table: exit %d, want a Container column naming %s:\n%s%s", r.code, web, r.stdout, r.stderr)
	}
	for _, q := range []string{web, id[:12]} {
		pw := pwNetnsJSON(t, "-tuan", "--netns", "all", "--container", q)
		if len(pw.Sockets) != inside {
			t.Errorf("--container %s: %d sockets, want the helper's %d", q, len(pw.Sockets), inside)
		}
		for _, s := range pw.Sockets {
			if s.Netns != named.inode || s.PID != named.pid {
				t.Errorf("--container %s kept %s (netns %d, pid %d)", q, pwKey(s), s.Netns, s.PID)
			}
		}
	}
	// watch --container streams the container's sockets alone.
	r = runCmd(t, exec.Command(binPath, "watch", "--json", "--count", "1", "-tuan", "--netns", "all", "--container", web))
	events := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(events) != inside {
		t.Errorf("watch --container %s: exit %d, %d events, want the helper's %d:\n%s%s", web, r.code, len(events), inside, r.stdout, r.stderr)
	}
	for _, e := range events {
		if !strings.Contains(e, fmt.Sprintf(`"pid":%d`, named.pid)) {
			t.Errorf("watch --container %s: an event of another process: %s", web, e)
		}
	}
	if r := runCmd(t, exec.Command(binPath, "watch", "--container", web, "--replay", "/dev/null")); r.code != 2 {
		t.Errorf("watch --container with --replay: exit %d, want 2", r.code)
	}
	// who --container: port 6379 is open in every test namespace; only
	// the container's helper's are kept.
	checkWhoContainer(t, "6379", web, named.inode, named.pid, "--netns", "all")
	if pw := pwNetnsJSON(t, "-tuan", "--container", "no-such-container"); len(pw.Sockets) != 0 {
		t.Errorf("--container no-such-container: %d sockets", len(pw.Sockets))
	}
	// Without owners asked for, no container is looked up.
	if r := runCmd(t, exec.Command(binPath, "-tln", "--netns", named.name)); strings.Contains(r.stdout, "Container") {
		t.Errorf("a Container column without -p:\n%s", r.stdout)
	}
}

// checkWhoContainer runs who PORT --container NAME with args and checks
// that it keeps sockets, every one in namespace ino held by pid, and that
// another container's name finds nothing: exit 3, saying so.
func checkWhoContainer(t *testing.T, port, name string, ino uint64, pid int, args ...string) {
	t.Helper()
	r := runCmd(t, exec.Command(binPath, append([]string{"who", port, "--json", "--container", name}, args...)...))
	var who struct {
		Sockets []jsonSocket `json:"sockets"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &who); r.code != 0 || err != nil || len(who.Sockets) == 0 {
		t.Fatalf("who %s --container %s: exit %d, %v: %s%s", port, name, r.code, err, r.stdout, r.stderr)
	}
	for _, s := range who.Sockets {
		if s.Netns != ino || s.PID != pid {
			t.Errorf("who %s --container %s kept %s (netns %d, pid %d), want only netns %d's pid %d", port, name, pwKey(s), s.Netns, s.PID, ino, pid)
		}
	}
	r = runCmd(t, exec.Command(binPath, append([]string{"who", port, "--container", "no-such-container"}, args...)...))
	if r.code != 3 || !strings.Contains(r.stderr, "nothing of container no-such-container is on port "+port) {
		t.Errorf("who %s --container no-such-container: exit %d, %q; want 3 saying nothing of it is there", port, r.code, r.stderr)
	}
}

// randomContainerID is a new container id: 64 random hex digits.
func randomContainerID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}
