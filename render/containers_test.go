package render

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/portwatch/portwatch/collector"
	"github.com/portwatch/portwatch/containers"
)

// testContainers puts nginx's workers in one docker container with a
// hostile name and dnsmasq in a pod's container.
func testContainers(pid int) (containers.Info, bool) {
	switch pid {
	case 4100, 4101:
		return containers.Info{Runtime: "docker", ID: strings.Repeat("ab", 32), Name: "web\x1b[2J"}, true
	case 5000:
		return containers.Info{Runtime: "cri-o", ID: strings.Repeat("cd", 32), Name: "dns", Pod: "coredns-1", PodNamespace: "kube-system"}, true
	}
	return containers.Info{}, false
}

// The Container column lists each owner's container once, escaped; JSON
// gives each owner in a container its container object, keeps the raw
// name, and reads back.
func TestContainerColumnAndJSON(t *testing.T) {
	snap := readTestSnapshot(t, "testdata/netns.json")
	opts := withTestNames(Options{Owners: true, Container: testContainers, ContainerColumn: true})
	var buf bytes.Buffer
	if err := Table(&buf, snap, opts); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	checkTerminalSafe(t, buf.Bytes())
	lines := strings.Split(out, "\n")
	if !strings.HasSuffix(lines[0], "PID/Program            Container") {
		t.Errorf("header %q: want Container after PID/Program", lines[0])
	}
	for want, n := range map[string]int{`web\x1b[2J`: 2, "kube-system/coredns-1/dns": 1} {
		if got := strings.Count(out, want); got != n {
			t.Errorf("%q appears %d times, want %d (once per socket, each container once):\n%s", want, got, n, out)
		}
	}
	if !strings.Contains(lines[1], " -") {
		t.Errorf("sshd's row should say - for no container: %q", lines[1])
	}

	buf.Reset()
	if err := JSON(&buf, snap, opts); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Sockets []struct {
			Owners []struct {
				PID       int `json:"pid"`
				Container *struct {
					Runtime, ID, Name, Pod string
					PodNamespace           string `json:"pod_namespace"`
				} `json:"container"`
			} `json:"owners"`
		} `json:"sockets"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, buf.Bytes())
	}
	for _, s := range doc.Sockets {
		for _, o := range s.Owners {
			_, in := testContainers(o.PID)
			if (o.Container != nil) != in {
				t.Errorf("owner %d: container %+v, want one: %v", o.PID, o.Container, in)
			}
			if o.PID == 4100 && o.Container.Name != "web\x1b[2J" {
				t.Errorf("JSON changed the container name: %q", o.Container.Name)
			}
			if o.PID == 5000 && (o.Container.Pod != "coredns-1" || o.Container.PodNamespace != "kube-system") {
				t.Errorf("pod container %+v", o.Container)
			}
		}
	}
	if _, err := ReadJSON(bytes.NewReader(buf.Bytes())); err != nil {
		t.Errorf("ReadJSON of owners with containers: %v", err)
	}
	// Without ContainerColumn, or without owners, no column.
	for _, o := range []Options{{Owners: true, Container: testContainers}, {Container: testContainers, ContainerColumn: true}} {
		buf.Reset()
		Table(&buf, snap, withTestNames(o))
		if strings.Contains(buf.String(), "Container") {
			t.Errorf("options %+v: a Container column", o)
		}
	}
}

// A published listener's Container cell is ->NAME:PORT, escaped, and its
// JSON has forwards_to with the raw name.
func TestForwardsTo(t *testing.T) {
	snap := readTestSnapshot(t, "testdata/netns.json")
	fwd := func(s *collector.Socket) (containers.Forward, bool) {
		if s.Local.Port() != 22 {
			return containers.Forward{}, false
		}
		return containers.Forward{Proto: "tcp", HostPort: 22, ContainerPort: 2222, NetnsInode: 77, ContainerIP: netip.MustParseAddr("10.88.0.4"),
			Container: containers.Info{Runtime: "podman", ID: strings.Repeat("ef", 32), Name: "jump\x1b[1m"}}, true
	}
	opts := withTestNames(Options{Owners: true, Forward: fwd, ContainerColumn: true})
	var buf bytes.Buffer
	if err := Table(&buf, snap, opts); err != nil {
		t.Fatal(err)
	}
	checkTerminalSafe(t, buf.Bytes())
	if lines := strings.Split(buf.String(), "\n"); !strings.HasSuffix(lines[1], `->jump\x1b[1m:2222`) || strings.Count(buf.String(), "->") != 1 {
		t.Errorf("want sshd's row, and only it, to end with the forward:\n%s", buf.String())
	}
	buf.Reset()
	if err := JSON(&buf, snap, opts); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Sockets []struct {
			LocalPort  int `json:"local_port"`
			ForwardsTo *struct {
				Netns     uint64 `json:"netns"`
				Addr      string `json:"addr"`
				Port      int    `json:"port"`
				Container struct{ Name string }
			} `json:"forwards_to"`
		} `json:"sockets"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, s := range doc.Sockets {
		if f := s.ForwardsTo; (f != nil) != (s.LocalPort == 22) || f != nil && (f.Port != 2222 || f.Netns != 77 || f.Addr != "10.88.0.4" || f.Container.Name != "jump\x1b[1m") {
			t.Errorf("port %d: forwards_to %+v", s.LocalPort, f)
		}
	}
}
