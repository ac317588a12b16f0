package containers

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// docker-proxy's command lines as docker starts them, in both flag
// spellings, with flags this reader does not know in between.
func TestParseDockerProxyArgs(t *testing.T) {
	for _, c := range []struct {
		args string
		want Forward
	}{
		{"-proto tcp -host-ip 0.0.0.0 -host-port 8080 -container-ip 172.17.0.2 -container-port 80",
			Forward{Proto: "tcp", HostIP: netip.MustParseAddr("0.0.0.0"), HostPort: 8080,
				ContainerIP: netip.MustParseAddr("172.17.0.2"), ContainerPort: 80}},
		{"--proto=udp --host-ip=:: --host-port=5353 -use-listen-fd --container-ip=fd00::2 --container-port=53",
			Forward{Proto: "udp", HostIP: netip.MustParseAddr("::"), HostPort: 5353,
				ContainerIP: netip.MustParseAddr("fd00::2"), ContainerPort: 53}},
		{"-host-port 1 -container-ip 10.0.0.1 -container-port 65535",
			Forward{Proto: "tcp", HostPort: 1, ContainerIP: netip.MustParseAddr("10.0.0.1"), ContainerPort: 65535}},
	} {
		got, err := ParseDockerProxyArgs(strings.Fields(c.args))
		if err != nil || got != c.want {
			t.Errorf("ParseDockerProxyArgs(%s) = %+v, %v; want %+v", c.args, got, err, c.want)
		}
	}
	for _, c := range []struct{ args, names string }{
		{"", "-host-port"},
		{"-proto sctp -host-port 1 -container-ip 10.0.0.1 -container-port 2", `"sctp"`},
		{"-host-port 0 -container-ip 10.0.0.1 -container-port 2", `-host-port "0"`},
		{"-host-port 70000 -container-ip 10.0.0.1 -container-port 2", `"70000"`},
		{"-host-port 1 -container-ip 10.0.0.1", "-container-port"},
		{"-host-port 1 -container-ip web -container-port 2", `-container-ip "web"`},
		{"-host-ip x -host-port 1 -container-ip 10.0.0.1 -container-port 2", `-host-ip "x"`},
		{"-host-port 1 -container-ip 10.0.0.1 -container-port", "-container-port has no value"},
	} {
		_, err := ParseDockerProxyArgs(strings.Fields(c.args))
		if err == nil || !strings.Contains(err.Error(), c.names) {
			t.Errorf("ParseDockerProxyArgs(%q): error %v, want one naming %s", c.args, err, c.names)
		}
	}
}

func FuzzParseDockerProxyArgs(f *testing.F) {
	f.Add("-proto tcp -host-ip 0.0.0.0 -host-port 8080 -container-ip 172.17.0.2 -container-port 80")
	f.Add("--proto=udp --host-port=1 --container-ip=::1 --container-port=2 -x")
	f.Fuzz(func(t *testing.T, line string) {
		f, err := ParseDockerProxyArgs(strings.Split(line, " "))
		if err == nil && ((f.Proto != "tcp" && f.Proto != "udp") || f.HostPort == 0 || f.ContainerPort == 0 || !f.ContainerIP.IsValid()) {
			t.Fatalf("accepted %+v from %q", f, line)
		}
	})
}

// A proxy's forward is completed from the docker record that has its
// container address, else from the record publishing its host port; the
// target names the container, else the address.
func TestCompleteProxy(t *testing.T) {
	n := namerWithWeb(t)
	byAddr := n.CompleteProxy(Forward{Proto: "tcp", HostPort: 9999, ContainerIP: netip.MustParseAddr("172.17.0.2"), ContainerPort: 81})
	if byAddr.Container.Name != "web" || byAddr.Netns != "/var/run/docker/netns/aa" || byAddr.Target() != "web:81" {
		t.Errorf("by address: %+v (%s)", byAddr, byAddr.Target())
	}
	byPort := n.CompleteProxy(Forward{Proto: "tcp", HostPort: 8080, ContainerIP: netip.MustParseAddr("10.9.9.9"), ContainerPort: 80})
	if byPort.Container.Name != "web" || byPort.ContainerIP != netip.MustParseAddr("10.9.9.9") {
		t.Errorf("by port: %+v", byPort)
	}
	unknown := n.CompleteProxy(Forward{Proto: "tcp", HostPort: 7, ContainerIP: netip.MustParseAddr("fd00::7"), ContainerPort: 7})
	if unknown.Container != (Info{}) || unknown.Target() != "[fd00::7]:7" {
		t.Errorf("unknown: %+v (%s)", unknown, unknown.Target())
	}
	if got := (Forward{ContainerPort: 5}).Target(); got != ":5" {
		t.Errorf("Target of a bare forward: %q", got)
	}
	fw := n.Forwards()
	if len(fw) != 1 || fw[0].ContainerIP != netip.MustParseAddr("172.17.0.2") {
		t.Errorf("the record's forward: %+v, want its container address 172.17.0.2", fw)
	}
}

// namerWithWeb is a Namer of a root holding docker's record of web (the
// fixture docker-config.v2.json).
func namerWithWeb(t *testing.T) *Namer {
	t.Helper()
	root := t.TempDir()
	rec := filepath.Join(root, dockerContainers, webID, "config.v2.json")
	if err := os.MkdirAll(filepath.Dir(rec), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rec, readTestdata(t, "docker-config.v2.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	return NewNamer(root)
}

// Rootless docker keeps its records under the user's data directory: they
// name its containers and give their published ports.
func TestRootlessDocker(t *testing.T) {
	root := t.TempDir()
	rec := filepath.Join(root, "/home/carol/.local/share/docker/containers", webID, "config.v2.json")
	if err := os.MkdirAll(filepath.Dir(rec), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rec, readTestdata(t, "docker-config.v2.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	n := NewNamer(root)
	if info, ok := n.Lookup("docker", webID); !ok || info.Name != "web" {
		t.Errorf("Lookup: %+v, %v", info, ok)
	}
	if fw := n.Forwards(); len(fw) != 1 || fw[0].HostPort != 8080 || fw[0].Container.Name != "web" {
		t.Errorf("Forwards: %+v", fw)
	}
}
