package containers

import (
	"net/netip"
	"strings"
	"testing"
)

// pasta's command lines: podman's for a rootless container, one by PID
// with a list and a range, and the specs that forward nothing known.
func TestParsePastaArgs(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	for _, c := range []struct {
		args string
		want []Forward
	}{
		{"--config-net -t 127.0.0.1/36339-36340:8080-8081 -u none -T none -U none --no-map-gw --dns none --quiet --netns /run/user/1000/netns/netns-x",
			[]Forward{
				{Proto: "tcp", HostIP: lo, HostPort: 36339, ContainerPort: 8080, Netns: "/run/user/1000/netns/netns-x"},
				{Proto: "tcp", HostIP: lo, HostPort: 36340, ContainerPort: 8081, Netns: "/run/user/1000/netns/netns-x"},
			}},
		{"-f -q -t 22,8080:80 -u53 --runas 0 4242",
			[]Forward{
				{Proto: "tcp", HostPort: 22, ContainerPort: 22, Netns: "/proc/4242/ns/net"},
				{Proto: "tcp", HostPort: 8080, ContainerPort: 80, Netns: "/proc/4242/ns/net"},
				{Proto: "udp", HostPort: 53, ContainerPort: 53, Netns: "/proc/4242/ns/net"},
			}},
		{"--tcp-ports=[::1]%lo/443 --netns vpn", nil}, // brackets are not pasta's: an error below
		{"-t auto -u ~53 --netns vpn -t5000", []Forward{{Proto: "tcp", HostPort: 5000, ContainerPort: 5000, Netns: "/run/netns/vpn"}}},
		{"-t ::1%lo/443 -- sh", []Forward{{Proto: "tcp", HostIP: netip.MustParseAddr("::1"), HostPort: 443, ContainerPort: 443}}},
	} {
		got, err := ParsePastaArgs(strings.Fields(c.args))
		if c.want == nil {
			if err == nil {
				t.Errorf("ParsePastaArgs(%s) = %+v, want an error", c.args, got)
			}
			continue
		}
		if err != nil || len(got) != len(c.want) {
			t.Errorf("ParsePastaArgs(%s) = %+v, %v; want %+v", c.args, got, err, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("ParsePastaArgs(%s)[%d] = %+v, want %+v", c.args, i, got[i], c.want[i])
			}
		}
	}
	for _, c := range []struct{ args, names string }{
		{"-t 0", `"0"`},
		{"-t 90-80", `"90-80"`},
		{"-t 1-10:20-25", "not as long"},
		{"-t 1-2000", "more than 1024"},
		{"-t x/80", "not an address"},
		{"-t", "-t has no value"},
		{"-t 1-1000 -t 1001-2000 -u 1-1000 -u 1001-2000 -t 3000-3100", "more than 4096"},
	} {
		if _, err := ParsePastaArgs(strings.Fields(c.args)); err == nil || !strings.Contains(err.Error(), c.names) {
			t.Errorf("ParsePastaArgs(%q): error %v, want one naming %s", c.args, err, c.names)
		}
	}
	if !PastaProcess("passt.avx2", "/usr/bin/pasta") || !PastaProcess("pasta", "pasta") || PastaProcess("passt", "/usr/bin/passt") || PastaProcess("bash", "pasta") {
		t.Error("PastaProcess is wrong")
	}
	if got := (Forward{Netns: "/run/netns/vpn", ContainerPort: 80}).Target(); got != "vpn:80" {
		t.Errorf("Target of a forward into a named namespace: %q", got)
	}
}

func FuzzParsePastaArgs(f *testing.F) {
	f.Add("--config-net -t 127.0.0.1/36339-36339:8080-8080 -u none --netns /run/user/1000/netns/netns-x")
	f.Add("-t 22,~25,8080:80 -u53 4242")
	f.Fuzz(func(t *testing.T, line string) {
		fws, err := ParsePastaArgs(strings.Split(line, " "))
		if len(fws) > maxPastaForwards {
			t.Fatalf("%d forwards from %q", len(fws), line)
		}
		for _, f := range fws {
			if err != nil || (f.Proto != "tcp" && f.Proto != "udp") || f.HostPort == 0 || f.ContainerPort == 0 {
				t.Fatalf("accepted %+v (%v) from %q", f, err, line)
			}
		}
	})
}

// Without a namespace file to compare, pasta's forward is named by the
// record publishing its host port.
func TestCompletePasta(t *testing.T) {
	n := namerWithWeb(t)
	f := n.CompletePasta(Forward{Proto: "tcp", HostPort: 8080, ContainerPort: 80, Netns: "/run/user/1000/netns/netns-x"}, 0)
	if f.Container.Name != "web" || f.Netns != "/var/run/docker/netns/aa" {
		t.Errorf("by the record's port: %+v", f)
	}
	f = n.CompletePasta(Forward{Proto: "tcp", HostPort: 9, ContainerPort: 9, Netns: "/run/netns/vpn"}, 0)
	if f.Container != (Info{}) || f.Target() != "vpn:9" {
		t.Errorf("no record: %+v (%s)", f, f.Target())
	}
}
