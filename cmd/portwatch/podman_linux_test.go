package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/portwatch/portwatch/internal/testenv"
)

// containerServer is the program of the test's container image: it
// listens on :8080 and waits.
const containerServer = `package main

import (
	"net"
	"time"
)

func main() {
	ln, err := net.Listen("tcp", ":8080")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	for {
		time.Sleep(time.Hour)
	}
}
`

// podmanArgs are the global options of every podman call: runc and the
// cgroupfs manager work on hybrid cgroup hierarchies, where crun and
// systemd's manager do not.
var podmanArgs = []string{"--runtime", "runc", "--cgroup-manager", "cgroupfs"}

func podman(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("podman", append(slices.Clone(podmanArgs), args...)...).CombinedOutput()
	if err != nil {
		testenv.SkipOrFail(t, "podman %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// podmanImage builds an image from a static server binary: no registry is
// reachable, so it is imported from a tarball of a one-file root.
func podmanImage(t *testing.T) string {
	t.Helper()
	image := "localhost/portwatch-test-server:" + strconv.Itoa(os.Getpid())
	podman(t, "import", serverTarball(t, t.TempDir()), image)
	t.Cleanup(func() { exec.Command("podman", append(slices.Clone(podmanArgs), "rmi", "-f", image)...).Run() })
	return image
}

// serverTarball builds the container's server and writes root.tar, a
// one-file root holding it, in dir; it returns the tarball's path.
func serverTarball(t *testing.T, out string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(containerServer), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module server\n\ngo 1.21\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	build := exec.Command(goTool(), "build", "-o", "server", ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the container's server: %v\n%s", err, out)
	}
	bin, err := os.ReadFile(filepath.Join(dir, "server"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	tw.WriteHeader(&tar.Header{Name: "server", Mode: 0o755, Size: int64(len(bin))})
	tw.Write(bin)
	tw.Close()
	tarball := filepath.Join(out, "root.tar")
	if err := os.WriteFile(tarball, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return tarball
}

// TestPodmanContainer runs a real container (podman, from an imported
// image) with a port published on 127.0.0.1: its listener, inside the
// container's namespace, is listed with the container's name, equal to
// what ss shows inside; --container keeps it; the published port is
// listed on the host.
func TestPodmanContainer(t *testing.T) {
	testenv.NeedRoot(t, "run a rootful podman container")
	testenv.NeedProgram(t, "podman", "podman")
	testenv.NeedProgram(t, "runc", "runc")
	testenv.NeedProgram(t, "nsenter", "util-linux")
	image := podmanImage(t)
	name := "portwatch-test-" + strconv.Itoa(os.Getpid())
	id := podman(t, "run", "-d", "--name", name, "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
		"-p", "127.0.0.1::8080", image, "/server")
	t.Cleanup(func() { exec.Command("podman", append(slices.Clone(podmanArgs), "rm", "-f", "-t", "0", name)...).Run() })
	pid, err := strconv.Atoi(podman(t, "inspect", "-f", "{{.State.Pid}}", name))
	if err != nil || pid <= 0 {
		t.Fatalf("container pid: %v", err)
	}
	hostPort := podman(t, "port", name, "8080/tcp") // 127.0.0.1:PORT
	ns := testNetns{pid: pid, inode: netnsOfPID(t, pid), ssArgv: []string{"nsenter", "--net=/proc/" + strconv.Itoa(pid) + "/ns/net"}}

	eventually(t, "portwatch --netns all versus ss in the container", func() []string {
		before := ssSnapshotOf(t, ns.ssArgv...)
		pw := pwNetnsJSON(t, "-tuanp", "--netns", "all")
		after := ssSnapshotOf(t, ns.ssArgv...)
		problems := compareStable(before, after, inNetns(pw, ns.inode), true)
		found := false
		for _, s := range inNetns(pw, ns.inode).Sockets {
			if s.LocalPort == 8080 && s.State == "LISTEN" && len(s.Owners) > 0 && s.Owners[0].PID == pid {
				c := s.Owners[0].Container
				found = c != nil && c.Name == name && c.ID == id && c.Runtime == "podman"
				if !found {
					problems = append(problems, fmt.Sprintf("%s: the container's listener names its container %+v", pwKey(s), c))
				}
			}
		}
		if !found {
			problems = append(problems, "the container's listener on 8080 with its container is missing")
		}
		published := false
		for _, s := range pw.Sockets {
			if s.State == "LISTEN" && s.Netns != ns.inode && s.LocalAddr+":"+strconv.Itoa(s.LocalPort) == hostPort {
				published = true
				if f := s.ForwardsTo; f == nil || f.Port != 8080 || f.Netns != ns.inode || f.Container.Name != name || f.Container.ID != id {
					problems = append(problems, fmt.Sprintf("the published port %s forwards to %+v, want %s:8080 in namespace %d", hostPort, f, name, ns.inode))
				}
			}
		}
		if !published {
			problems = append(problems, "the published port "+hostPort+" is not listed on the host")
		}
		return problems
	})

	pw := pwNetnsJSON(t, "-tlnp", "--netns", "all", "--container", name)
	if len(pw.Sockets) == 0 {
		t.Errorf("--container %s: nothing listed", name)
	}
	for _, s := range pw.Sockets {
		if s.Netns != ns.inode || s.PID != pid {
			t.Errorf("--container %s kept %s (netns %d, pid %d)", name, pwKey(s), s.Netns, s.PID)
		}
	}
	r := runCmd(t, exec.Command(binPath, "-tlp", "--netns", "all"))
	if r.code != 0 || !strings.Contains(r.stdout, "Container") || !strings.Contains(r.stdout, "->"+name+":8080") {
		t.Errorf("table: exit %d, want a Container column naming %s and the published port as ->%s:8080:\n%s%s", r.code, name, name, r.stdout, r.stderr)
	}

	// who on the published port shows both ends: conmon's listener on the
	// host and the server's inside the container.
	_, port, _ := strings.Cut(hostPort, ":")
	checkWhoBothEnds(t, port, 8080, ns.inode, pid)

	// The audit: the container's listener on every address of its own
	// namespace is "namespace" exposure, named; the published port is the
	// host's loopback, forwarding to it.
	r = runCmd(t, exec.Command(binPath, "audit", "--netns", "all", "--json", "--fail-on", "none"))
	var audit struct {
		Listeners []struct {
			LocalAddr  string `json:"local_addr"`
			Port       int    `json:"port"`
			Exposure   string `json:"exposure"`
			Container  string `json:"container"`
			ForwardsTo string `json:"forwards_to"`
		} `json:"listeners"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &audit); r.code != 0 || err != nil {
		t.Fatalf("audit: exit %d, %v: %s%s", r.code, err, r.stdout, r.stderr)
	}
	var inside, host bool
	for _, l := range audit.Listeners {
		switch {
		case l.Port == 8080 && l.Container == name:
			inside = l.Exposure == "namespace"
		case l.LocalAddr+":"+strconv.Itoa(l.Port) == hostPort:
			host = l.Exposure == "loopback" && l.ForwardsTo == name+":8080"
		}
	}
	if !inside || !host {
		t.Errorf("audit: container listener judged by its namespace %v, published port as the host's forwarding to it %v:\n%s", inside, host, r.stdout)
	}
}

// checkWhoBothEnds runs who PORT (args added) and checks that it shows
// both ends of a published port: the host's listener on port, forwarding,
// and the listener on inner inside namespace ino held by pid; and that it
// warns of nothing.
func checkWhoBothEnds(t *testing.T, port string, inner int, ino uint64, pid int, args ...string) {
	t.Helper()
	r := runCmd(t, exec.Command(binPath, append([]string{"who", port, "--json"}, args...)...))
	var who struct {
		Sockets []jsonSocket `json:"sockets"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &who); r.code != 0 || err != nil {
		t.Fatalf("who %s: exit %d, %v: %s%s", port, r.code, err, r.stdout, r.stderr)
	}
	ends := map[string]bool{}
	for _, s := range who.Sockets {
		switch {
		case strconv.Itoa(s.LocalPort) == port && s.ForwardsTo != nil:
			ends["host"] = true
		case s.LocalPort == inner && s.Netns == ino && s.PID == pid:
			ends["container"] = true
		}
	}
	if !ends["host"] || !ends["container"] || strings.Contains(r.stderr, "warning") {
		t.Errorf("who %s: ends %v, want the host's and the container's, without warnings:\n%s%s", port, ends, r.stdout, r.stderr)
	}
}
