package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/portwatch/portwatch/collector"
	"github.com/portwatch/portwatch/internal/testenv"
)

// startDockerProxy starts a helper that calls itself docker-proxy, with
// docker-proxy's command line for hostPort forwarded to containerIP:6379,
// and holds a listener on 127.0.0.1 (the test's own copy is closed). It
// returns the helper's PID and the listener's port.
func startDockerProxy(t *testing.T, containerIP string) (pid, port int) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port = ln.Addr().(*net.TCPAddr).Port
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	argv := []string{os.Args[0], "-proto", "tcp", "-host-ip", "127.0.0.1", "-host-port", strconv.Itoa(port),
		"-container-ip", containerIP, "-container-port", "6379", "-use-listen-fd"}
	pid = startChild(t, argv, []string{"PORTWATCH_TEST_COMM=docker-proxy"}, f).pid
	f.Close()
	ln.Close()
	return pid, port
}

// TestDockerProxyArgs: a listener held by docker-proxy forwards to the
// address and port on its command line, which every user can read; with
// no record of the container, that address is what is shown.
func TestDockerProxyArgs(t *testing.T) {
	if _, err := os.Stat("/var/lib/docker"); !errors.Is(err, fs.ErrNotExist) {
		t.Skip("this machine has docker state in /var/lib/docker: its records could name the test's address")
	}
	pid, port := startDockerProxy(t, "10.213.0.9")
	pw := pwNetnsJSON(t, "-tlnp", "--port", strconv.Itoa(port))
	if len(pw.Sockets) != 1 {
		t.Fatalf("--port %d: %d sockets, want the proxy's listener: %+v", port, len(pw.Sockets), pw.Sockets)
	}
	s := pw.Sockets[0]
	if f := s.ForwardsTo; s.PID != pid || s.Process != "docker-proxy" || f == nil || f.Addr != "10.213.0.9" || f.Port != 6379 || f.Container.Name != "" {
		t.Errorf("the proxy's listener: pid %d %q, forwards_to %+v; want pid %d docker-proxy forwarding to 10.213.0.9:6379", s.PID, s.Process, f, pid)
	}
	r := runCmd(t, exec.Command(binPath, "-tlnp", "--port", strconv.Itoa(port)))
	if r.code != 0 || !strings.Contains(r.stdout, "->10.213.0.9:6379") {
		t.Errorf("table: exit %d, want the Container cell ->10.213.0.9:6379:\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Without -p no owner is read, so no proxy is recognised.
	if pw := pwNetnsJSON(t, "-tln", "--port", strconv.Itoa(port)); len(pw.Sockets) != 1 || pw.Sockets[0].ForwardsTo != nil {
		t.Errorf("without -p: %+v", pw.Sockets)
	}
}

// newDockerID returns a random container id for a record the test writes,
// skipping where this machine has docker state of its own.
func newDockerID(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/var/lib/docker"); !errors.Is(err, fs.ErrNotExist) {
		t.Skip("this machine has docker state in /var/lib/docker: the test does not write beside it")
	}
	return randomContainerID()
}

// TestDockerProxyContainer: docker-proxy's container address is one a
// docker record gives a container whose namespace is a test namespace:
// the listener names the container and its namespace, who on the port
// shows both ends, and the audit says where it forwards.
func TestDockerProxyContainer(t *testing.T) {
	named, _, _ := netnsFixture(t)
	id := newDockerID(t)
	name := "portwatch-proxied-" + strconv.Itoa(os.Getpid())
	writeDockerRecord(t, id, name, `{"SandboxKey":"/run/netns/`+named.name+`","Ports":{},"Networks":{"bridge":{"IPAddress":"10.213.0.10","GlobalIPv6Address":""}}}`)
	_, port := startDockerProxy(t, "10.213.0.10")

	pw := pwNetnsJSON(t, "-tlnp", "--port", strconv.Itoa(port))
	if len(pw.Sockets) != 1 {
		t.Fatalf("--port %d: %d sockets, want the proxy's listener", port, len(pw.Sockets))
	}
	if f := pw.Sockets[0].ForwardsTo; f == nil || f.Container.Name != name || f.Container.ID != id || f.Netns != named.inode || f.Addr != "10.213.0.10" || f.Port != 6379 {
		t.Errorf("forwards_to %+v, want container %s in netns %d, 10.213.0.10:6379", f, name, named.inode)
	}

	checkWhoBothEnds(t, strconv.Itoa(port), 6379, named.inode, named.pid)

	// who --container: the container's namespace is known from its record,
	// so its sockets are kept though no process of it is in a container's
	// cgroup; the published port keeps its host end too.
	checkWhoContainer(t, "6379", name, named.inode, named.pid, "--netns", "all")
	r := runCmd(t, exec.Command(binPath, "who", strconv.Itoa(port), "--json", "--container", name[len(name)-6:]))
	if r.code != 3 {
		t.Errorf("who %d --container with a part of the name: exit %d, want 3 (names match whole)", port, r.code)
	}
	r = runCmd(t, exec.Command(binPath, "who", strconv.Itoa(port), "--json", "--container", id[:8]))
	var who struct {
		Sockets []jsonSocket `json:"sockets"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &who); r.code != 0 || err != nil {
		t.Fatalf("who %d --container %s: exit %d, %v: %s%s", port, id[:8], r.code, err, r.stdout, r.stderr)
	}
	kept := map[string]bool{}
	for _, s := range who.Sockets {
		switch {
		case s.LocalPort == port && s.ForwardsTo != nil:
			kept["host"] = true
		case s.Netns == named.inode:
			kept["container"] = true
		default:
			t.Errorf("who %d --container %s kept %s", port, id[:8], pwKey(s))
		}
	}
	if !kept["host"] || !kept["container"] {
		t.Errorf("who %d --container %s: kept %v, want the host's end and the container's", port, id[:8], kept)
	}

	r = runCmd(t, exec.Command(binPath, "audit", "--json", "--fail-on", "none"))
	var audit struct {
		Listeners []struct {
			Port       int    `json:"port"`
			ForwardsTo string `json:"forwards_to"`
		} `json:"listeners"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &audit); r.code != 0 || err != nil {
		t.Fatalf("audit: exit %d, %v: %s%s", r.code, err, r.stdout, r.stderr)
	}
	forwards := ""
	for _, l := range audit.Listeners {
		if l.Port == port {
			forwards = l.ForwardsTo
		}
	}
	if forwards != name+":6379" {
		t.Errorf("audit: the proxy's listener forwards to %q, want %s:6379:\n%s", forwards, name, r.stdout)
	}
}

// TestPublishedByNAT: a runtime that publishes a port by a NAT rule alone
// (podman 5's netavark, docker without its userland proxy) leaves no host
// listener: the container's own listener on every address of its
// namespace is what the host exposes, on the published address, and the
// audit judges it so; the same listener in a namespace nothing publishes
// stays "namespace".
func TestPublishedByNAT(t *testing.T) {
	named, unnamed, _ := netnsFixture(t)
	id := newDockerID(t)
	name := "portwatch-natted-" + strconv.Itoa(os.Getpid())
	// A host port nothing listens on: one just closed.
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hostPort := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	writeDockerRecord(t, id, name, `{"SandboxKey":"/run/netns/`+named.name+`","Ports":{"6379/tcp":[{"HostIp":"","HostPort":"`+
		strconv.Itoa(hostPort)+`"}]},"Networks":{"bridge":{"IPAddress":"10.213.0.11"}}}`)

	r := runCmd(t, exec.Command(binPath, "audit", "--netns", "all", "--json", "--fail-on", "none"))
	var doc struct {
		Findings []struct {
			ID          string `json:"id"`
			Port        int    `json:"port"`
			Netns       string `json:"netns"`
			PublishedAs string `json:"published_as"`
		} `json:"findings"`
		Listeners []struct {
			LocalAddr   string `json:"local_addr"`
			Port        int    `json:"port"`
			Exposure    string `json:"exposure"`
			Netns       string `json:"netns"`
			PublishedAs string `json:"published_as"`
		} `json:"listeners"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); r.code != 0 || err != nil {
		t.Fatalf("audit: exit %d, %v: %s%s", r.code, err, r.stdout, r.stderr)
	}
	want := "0.0.0.0:" + strconv.Itoa(hostPort)
	var published, internal bool
	for _, l := range doc.Listeners {
		if l.Port != 6379 || l.LocalAddr != "0.0.0.0" {
			continue
		}
		switch l.Netns {
		case named.name:
			published = l.Exposure == "all" && l.PublishedAs == want
		case collector.NetnsLabel(unnamed.inode):
			internal = l.Exposure == "namespace" && l.PublishedAs == ""
		}
	}
	if !published || !internal {
		t.Errorf("audit: the published listener in %s is exposed on %s %v, the unpublished one stays in its namespace %v:\n%s",
			named.name, want, published, internal, r.stdout)
	}
	found := false
	for _, f := range doc.Findings {
		found = found || f.ID == "database-exposed" && f.Port == 6379 && f.PublishedAs == want
	}
	if !found {
		t.Errorf("audit: no database-exposed finding for the listener published as %s:\n%s", want, r.stdout)
	}
	r = runCmd(t, exec.Command(binPath, "audit", "--netns", "all", "--fail-on", "none"))
	if !strings.Contains(r.stdout, named.name+" <-"+want) {
		t.Errorf("audit table: want the Where cell %s <-%s:\n%s", named.name, want, r.stdout)
	}
}

// TestPastaForward: a real pasta process forwards a host port on
// 127.0.0.1 into a test namespace: its listener forwards to the port and
// namespace on pasta's command line, named after the namespace, and who
// shows both ends; once a docker record gives that namespace to a
// container, the forward names the container.
func TestPastaForward(t *testing.T) {
	named, _, _ := netnsFixture(t)
	testenv.NeedProgram(t, "pasta", "passt")
	id := newDockerID(t)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	pasta := exec.Command("pasta", "-f", "-q", "--runas", "0", "-t", "127.0.0.1/"+strconv.Itoa(port)+":6379",
		"-u", "none", "-T", "none", "-U", "none", "--netns", named.name)
	if err := pasta.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pasta.Process.Kill(); pasta.Wait() })

	var s jsonSocket
	eventually(t, "pasta's listener", func() []string {
		pw := pwNetnsJSON(t, "-tlnp", "--port", strconv.Itoa(port))
		if len(pw.Sockets) != 1 {
			return []string{fmt.Sprintf("%d sockets on %d", len(pw.Sockets), port)}
		}
		s = pw.Sockets[0]
		return nil
	})
	if f := s.ForwardsTo; s.PID != pasta.Process.Pid || f == nil || f.Port != 6379 || f.Netns != named.inode || f.Container.Name != "" {
		t.Errorf("pasta's listener: pid %d %q, forwards_to %+v; want pid %d forwarding to 6379 in %d", s.PID, s.Process, f, pasta.Process.Pid, named.inode)
	}
	r := runCmd(t, exec.Command(binPath, "-tlnp", "--port", strconv.Itoa(port)))
	if !strings.Contains(r.stdout, "->"+named.name+":6379") {
		t.Errorf("table: want the Container cell ->%s:6379:\n%s%s", named.name, r.stdout, r.stderr)
	}
	checkWhoBothEnds(t, strconv.Itoa(port), 6379, named.inode, named.pid)

	name := "portwatch-pasta-" + strconv.Itoa(os.Getpid())
	writeDockerRecord(t, id, name, `{"SandboxKey":"/run/netns/`+named.name+`","Ports":{}}`)
	pw := pwNetnsJSON(t, "-tlnp", "--port", strconv.Itoa(port))
	if len(pw.Sockets) != 1 || pw.Sockets[0].ForwardsTo == nil || pw.Sockets[0].ForwardsTo.Container.Name != name {
		t.Errorf("with a record of the namespace's container: %+v, want forwards_to naming %s", pw.Sockets, name)
	}
}
