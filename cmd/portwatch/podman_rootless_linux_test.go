package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portwatch/portwatch/internal/testenv"
)

// rootlessUID is the user the rootless container runs as: nobody, there
// on every Debian system, with no subordinate ids (podman then maps the
// user alone, which a one-file image needs).
const rootlessUID = 65534

// rootlessPodman runs podman as rootlessUID with the home and runtime
// directories of a test, and the global options of podmanArgs.
type rootlessPodman struct {
	home, runtime string
}

func (p rootlessPodman) cmd(args ...string) *exec.Cmd {
	argv := append([]string{"--reuid", strconv.Itoa(rootlessUID), "--regid", strconv.Itoa(rootlessUID), "--clear-groups",
		"env", "HOME=" + p.home, "XDG_RUNTIME_DIR=" + p.runtime, "podman"}, podmanArgs...)
	cmd := exec.Command("setpriv", append(argv, args...)...)
	cmd.Dir = p.home
	return cmd
}

func (p rootlessPodman) run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := p.cmd(args...).Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		testenv.SkipOrFail(t, "rootless podman %s: %v: %s", strings.Join(args, " "), err, msg)
	}
	return strings.TrimSpace(string(out))
}

// newRootlessPodman makes a home under /home (where portwatch looks for
// each user's container storage) and a runtime directory for rootlessUID,
// and removes them, the user's containers and podman's pause process at
// the end. slirp4netns, which carries a rootless container's network,
// opens /dev/net/tun: where this machine keeps it from other users (mode
// 0600; Debian's own is 0666) it is opened to them for the test and put
// back afterwards.
func newRootlessPodman(t *testing.T) rootlessPodman {
	t.Helper()
	testenv.NeedRoot(t, "run a container as another user")
	testenv.NeedProgram(t, "podman", "podman")
	testenv.NeedProgram(t, "runc", "runc")
	testenv.NeedProgram(t, "slirp4netns", "slirp4netns")
	testenv.NeedProgram(t, "setpriv", "util-linux")
	st, err := os.Stat("/dev/net/tun")
	if err != nil {
		testenv.SkipOrFail(t, "no /dev/net/tun for slirp4netns: %v", err)
	}
	if mode := st.Mode().Perm(); mode&0o006 != 0o006 {
		if err := os.Chmod("/dev/net/tun", mode|0o666); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod("/dev/net/tun", mode) })
	}
	p := rootlessPodman{home: filepath.Join("/home", "portwatch-test-"+strconv.Itoa(os.Getpid()))}
	if p.runtime, err = os.MkdirTemp("", "portwatch-rootless-"); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{p.home, p.runtime} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, rootlessUID, rootlessUID); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		// The pause process keeps the user's namespaces for podman; it
		// outlives the containers.
		if data, err := os.ReadFile(filepath.Join(p.runtime, "libpod", "tmp", "pause.pid")); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && pid > 1 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		waitRootlessGone(t)
		os.RemoveAll(p.home)
		os.RemoveAll(p.runtime)
	})
	return p
}

// rootlessHelpers are the processes rootless podman leaves beside a
// container, which end shortly after it.
var rootlessHelpers = []string{"conmon", "slirp4netns", "rootlessport", "catatonit", "exe"}

// waitRootlessGone waits up to 5 s until rootlessUID runs none of
// rootlessHelpers, so that the tests after this one do not see their
// sockets close while they compare with ss.
func waitRootlessGone(t *testing.T) {
	for try := 0; try < 50; try++ {
		left := ""
		dirs, _ := filepath.Glob("/proc/[0-9]*")
		for _, dir := range dirs {
			var st syscall.Stat_t
			if syscall.Stat(dir, &st) != nil || st.Uid != rootlessUID {
				continue
			}
			comm, _ := os.ReadFile(filepath.Join(dir, "comm"))
			if slices.Contains(rootlessHelpers, strings.TrimSpace(string(comm))) {
				left = dir
			}
		}
		if left == "" {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("rootless podman's helpers still run after 5 s")
}

// TestPodmanRootless runs a real rootless container (podman as nobody,
// its network by slirp4netns, its port published by rootlessport): with
// no cgroup of its own, the container's listener is named from its conmon;
// the published port on the host forwards to it, read from the user's
// state database, and who on it shows both ends.
func TestPodmanRootless(t *testing.T) {
	p := newRootlessPodman(t)
	testenv.NeedProgram(t, "nsenter", "util-linux")
	tarball := serverTarball(t, p.home)
	if err := os.Chmod(tarball, 0o644); err != nil {
		t.Fatal(err)
	}
	image := "localhost/portwatch-test-server:" + strconv.Itoa(os.Getpid())
	p.run(t, "import", tarball, image)
	name := "portwatch-rootless-" + strconv.Itoa(os.Getpid())
	id := p.run(t, "run", "-d", "--name", name, "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
		"-p", "127.0.0.1::8080", image, "/server")
	t.Cleanup(func() {
		if out, err := p.cmd("rm", "-f", "-t", "0", name).CombinedOutput(); err != nil {
			t.Logf("removing the rootless container: %v: %s", err, out)
		}
	})
	pid, err := strconv.Atoi(p.run(t, "inspect", "-f", "{{.State.Pid}}", name))
	if err != nil || pid <= 0 {
		t.Fatalf("container pid: %v", err)
	}
	hostPort := p.run(t, "port", name, "8080/tcp") // 127.0.0.1:PORT
	ns := testNetns{pid: pid, inode: netnsOfPID(t, pid), ssArgv: []string{"nsenter", "--net=/proc/" + strconv.Itoa(pid) + "/ns/net"}}

	eventually(t, "portwatch --netns all versus ss in the rootless container", func() []string {
		before := ssSnapshotOf(t, ns.ssArgv...)
		pw := pwNetnsJSON(t, "-tuanp", "--netns", "all")
		after := ssSnapshotOf(t, ns.ssArgv...)
		problems := compareStable(before, after, inNetns(pw, ns.inode), true)
		var inside, published bool
		for _, s := range pw.Sockets {
			switch {
			case s.Netns == ns.inode && s.LocalPort == 8080 && s.State == "LISTEN":
				c := s.Owners[0].Container
				inside = s.PID == pid && c != nil && c.Runtime == "podman" && c.ID == id && c.Name == name
				if !inside {
					problems = append(problems, fmt.Sprintf("%s: pid %d, container %+v; want %d in %s", pwKey(s), s.PID, c, pid, name))
				}
			case s.State == "LISTEN" && s.LocalAddr+":"+strconv.Itoa(s.LocalPort) == hostPort:
				f := s.ForwardsTo
				published = f != nil && f.Port == 8080 && f.Netns == ns.inode && f.Container.Name == name
				if !published {
					problems = append(problems, fmt.Sprintf("the published port %s (%s) forwards to %+v, want %s:8080 in %d", hostPort, s.Process, f, name, ns.inode))
				}
			}
		}
		if !inside || !published {
			problems = append(problems, fmt.Sprintf("the container's listener found %v, the published port %v", inside, published))
		}
		return problems
	})

	_, port, _ := strings.Cut(hostPort, ":")
	checkWhoBothEnds(t, port, 8080, ns.inode, pid)
	if pw := pwNetnsJSON(t, "-tlnp", "--netns", "all", "--container", name); len(pw.Sockets) != 1 || pw.Sockets[0].PID != pid {
		t.Errorf("--container %s: %+v, want the container's listener", name, pw.Sockets)
	}
}
