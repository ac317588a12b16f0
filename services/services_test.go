package services

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestEmbeddedDataIsClean(t *testing.T) {
	if p := loadBuiltin().problems; len(p) > 0 {
		t.Fatalf("embedded tables have problems:\n%s", strings.Join(p, "\n"))
	}
}

func TestKnownPorts(t *testing.T) {
	r := Default()
	tests := []struct {
		proto string
		port  uint16
		want  string
	}{
		{"tcp", 22, "ssh"},
		{"udp", 53, "domain"},
		{"tcp", 53, "domain"},
		{"tcp", 80, "http"},
		{"tcp", 443, "https"},
		{"tcp", 465, "submissions"},
		{"tcp", 2049, "nfs"},
		{"udp", 2049, "nfs"},
		{"udp", 5353, "mdns"},
		{"udp", 1900, "upnp-ssdp"}, // curated: UPnP, which IANA calls ssdp
		{"tcp", 2082, "cpanel"},
		{"tcp", 7070, "anydesk"},
		{"tcp", 3306, "mysql"},
		{"tcp", 5432, "postgresql"},
		{"tcp", 6379, "redis"},
		{"tcp", 27017, "mongodb"},
		{"tcp", 27016, "steam"},
		{"tcp", 6881, "bittorrent"},
		{"tcp", 6887, "bittorrent"},
		{"udp", 6881, "bittorrent-dht"},
		{"tcp", 25565, "minecraft"},
		{"tcp", 3389, "ms-wbt-server"},
		{"tcp", 8080, "http-alt"},
		{"tcp", 8443, "https-alt"},
		{"tcp", 3000, "dev-http"},
		{"udp", 3000, "hbci"},
		{"tcp", 5173, "vite"},
		{"tcp", 9090, "prometheus"},
		{"tcp", 9100, "node-exporter"},
		{"udp", 9100, "pdl-datastream"},
		{"tcp", 6443, "kube-apiserver"},
		{"tcp", 2375, "docker"},
		{"tcp", 2376, "docker-s"},
		{"tcp", 9092, "kafka"},
		{"tcp", 5601, "kibana"},
		{"tcp", 9200, "elasticsearch"},
		{"tcp", 11434, "ollama"},
		{"tcp", 10250, "kubelet"},
		{"tcp", 5900, "vnc"},
		{"udp", 51820, "wireguard"},
		{"tcp6", 22, "ssh"},
		{"udp4", 53, "domain"},
		{"tcp", 49999, ""},
		{"udp", 65535, ""},
		{"tcp", 0, ""},
		{"sctp", 22, ""},
		{"", 22, ""},
	}
	for _, tt := range tests {
		if got := r.Name(tt.proto, tt.port); got != tt.want {
			t.Errorf("Name(%q, %d) = %q, want %q", tt.proto, tt.port, got, tt.want)
		}
	}
}

func TestPortRange(t *testing.T) {
	r := Default()
	for _, c := range []struct {
		proto string
		port  uint16
		want  string
	}{
		{"tcp", 6000, "x11"}, {"tcp", 6010, "x11"}, {"udp", 6063, "x11"}, {"tcp", 6064, "ndl-ahp-svc"},
		{"tcp", 4250, "vrml-multi-use"}, {"udp", 4299, "vrml-multi-use"},
		{"tcp", 4200, "angular-dev"}, // curated beats the range
		{"tcp", 7359, "swx"},
	} {
		if got := r.Name(c.proto, c.port); got != c.want {
			t.Errorf("Name(%q, %d) = %q, want %q", c.proto, c.port, got, c.want)
		}
	}
	info := r.Lookup("tcp", 6010)
	if len(info.Entries) != 1 || info.Entries[0].Port != 6010 || info.Entries[0].Source != SourceIANA ||
		info.Entries[0].Description != "X Window System" {
		t.Errorf("Lookup(tcp, 6010).Entries = %+v", info.Entries)
	}
	// A port inside a range that also has its own name.
	info = r.Lookup("tcp", 4222)
	if !slices.Equal(info.Names, []string{"nats", "vrml-multi-use"}) {
		t.Errorf("Lookup(tcp, 4222).Names = %q, want curated nats, then IANA's range name", info.Names)
	}
	info = r.Lookup("udp", 4299)
	if len(info.Entries) != 1 || info.Entries[0].Port != 4299 || !slices.Equal(info.Names, []string{"vrml-multi-use"}) {
		t.Errorf("Lookup(udp, 4299) = %+v", info)
	}
}

func TestLookupSeveralNames(t *testing.T) {
	r := Default()
	info := r.Lookup("tcp", 465)
	if info.Name != "submissions" || !slices.Equal(info.Names, []string{"submissions", "urd"}) {
		t.Errorf("465/tcp: Name %q Names %q, want submissions then urd", info.Name, info.Names)
	}
	if len(info.Entries) != 1 || info.Entries[0].Source != "iana" ||
		info.Entries[0].Description != "Message Submission over TLS protocol" {
		t.Errorf("465/tcp entries: %+v", info.Entries)
	}
	// IANA's alias spellings stay, after the well-formed name.
	info = r.Lookup("tcp", 80)
	if !slices.Equal(info.Names, []string{"http", "www", "www-http"}) {
		t.Errorf("80/tcp Names = %q", info.Names)
	}
	// Curated over IANA: both names, curated first.
	info = r.Lookup("tcp", 9200)
	if info.Name != "elasticsearch" || !slices.Equal(info.Names, []string{"elasticsearch", "wap-wsp"}) {
		t.Errorf("9200/tcp: %q %q", info.Name, info.Names)
	}
	if len(info.Entries) != 2 || info.Entries[0].Source != SourceCurated || info.Entries[1].Source != SourceIANA {
		t.Errorf("9200/tcp entries: %+v", info.Entries)
	}
	if info.Risk == "" {
		t.Error("9200/tcp: no risk note")
	}
	// Unknown to IANA, known to curated.
	info = r.Lookup("tcp", 25565)
	if info.Name != "minecraft" || len(info.Entries) != 1 || info.Entries[0].Description == "" {
		t.Errorf("25565/tcp: %+v", info)
	}
}

func TestLookupUnknown(t *testing.T) {
	r := Default()
	info := r.Lookup("tcp", 49999)
	if info.Name != "" || info.Names != nil || info.Entries != nil || info.Risk != "" || info.Proto != "tcp" || info.Port != 49999 {
		t.Errorf("Lookup(tcp, 49999) = %+v, want empty", info)
	}
	info = r.Lookup("icmp", 7)
	if info.Proto != "icmp" || info.Name != "" || info.Entries != nil {
		t.Errorf("Lookup(icmp, 7) = %+v", info)
	}
	all := r.LookupAll(49999)
	if len(all) != 2 || all[0].Proto != "tcp" || all[1].Proto != "udp" || all[0].Name != "" || all[1].Name != "" {
		t.Errorf("LookupAll(49999) = %+v", all)
	}
	all = r.LookupAll(53)
	if len(all) != 2 || all[0].Name != "domain" || all[1].Name != "domain" {
		t.Errorf("LookupAll(53) = %+v", all)
	}
}

func TestRisk(t *testing.T) {
	r := Default()
	for _, c := range []struct {
		proto string
		port  uint16
		risky bool
	}{
		{"tcp", 3389, true}, {"udp", 3389, true}, {"tcp", 23, true}, {"tcp", 21, true},
		{"udp", 69, true}, {"tcp", 69, false}, {"tcp", 445, true}, {"udp", 137, true},
		{"tcp", 139, true}, {"tcp", 5903, true}, {"tcp", 5907, false}, {"udp", 1900, true},
		{"tcp", 6379, true}, {"tcp", 27017, true}, {"udp", 11211, true}, {"tcp", 2375, true},
		{"tcp", 2376, false}, {"udp", 161, true}, {"tcp", 22, false}, {"tcp", 443, false},
		{"tcp", 49999, false}, {"quic", 3389, false},
	} {
		if got := r.Risk(c.proto, c.port); (got != "") != c.risky {
			t.Errorf("Risk(%q, %d) = %q, want risky=%v", c.proto, c.port, got, c.risky)
		}
	}
	if info := r.Lookup("tcp", 3389); info.Risk == "" || !strings.Contains(info.Risk, "RDP") {
		t.Errorf("Lookup(tcp, 3389).Risk = %q", info.Risk)
	}
}

// Every display choice names one of IANA's names for its port, and every
// curated name is shown.
func TestDisplayChoicesAreIANANames(t *testing.T) {
	r := Default()
	d := loadBuiltin()
	if len(d.display) != 40 {
		t.Errorf("%d display choices, want the 40 port/protocol pairs IANA gives different services", len(d.display))
	}
	for k, name := range d.display {
		e, ok := r.ianaEntry(int(k>>16), uint16(k))
		if !ok || len(e.Names) < 2 || e.Names[0] != name {
			t.Errorf("display choice %s for %d/%s: IANA entry %+v", name, uint16(k), protoNames[k>>16], e)
		}
	}
	for k, e := range d.curated {
		if got := r.Name(protoNames[k>>16], uint16(k)); got != e.Names[0] {
			t.Errorf("%d/%s shows %q, want curated %q", uint16(k), protoNames[k>>16], got, e.Names[0])
		}
		if ie, ok := r.ianaEntry(int(k>>16), uint16(k)); ok && slices.Contains(ie.Names, e.Names[0]) {
			t.Errorf("curated %d/%s %q repeats IANA's name", uint16(k), protoNames[k>>16], e.Names[0])
		}
	}
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOverlayPriority(t *testing.T) {
	r := Default()
	host := writeFile(t, "services", "# host file\nsecure-shell 22/tcp ssh2 # host's name\nmyapp 9200/tcp\nhttp 80/tcp www\nfoo 49999/udp\n")
	user := writeFile(t, "user", "bastion 22/tcp\nmine 49999/udp mine-alias\n")
	if err := r.LoadFile(host, "/etc/services"); err != nil {
		t.Fatal(err)
	}
	if got := r.Name("tcp", 22); got != "secure-shell" {
		t.Errorf("after host file: 22/tcp = %q", got)
	}
	if got := r.Name("tcp", 9200); got != "myapp" {
		t.Errorf("host file must beat curated: 9200/tcp = %q", got)
	}
	if err := r.LoadFile(user, ""); err != nil {
		t.Fatal(err)
	}
	if got := r.Name("tcp", 22); got != "bastion" {
		t.Errorf("after user file: 22/tcp = %q", got)
	}
	if got := r.Name("udp", 22); got != "ssh" {
		t.Errorf("udp must be untouched: 22/udp = %q", got)
	}
	info := r.Lookup("tcp", 22)
	wantNames := []string{"bastion", "secure-shell", "ssh2", "ssh"}
	if info.Name != "bastion" || !slices.Equal(info.Names, wantNames) {
		t.Errorf("22/tcp: Name %q Names %q, want %q", info.Name, info.Names, wantNames)
	}
	var sources []string
	for _, e := range info.Entries {
		sources = append(sources, e.Source)
	}
	if want := []string{user, "/etc/services", "iana"}; !slices.Equal(sources, want) {
		t.Errorf("22/tcp sources %q, want %q", sources, want)
	}
	if info.Entries[1].Description != "host's name" {
		t.Errorf("host entry description %q", info.Entries[1].Description)
	}
	info = r.Lookup("udp", 49999)
	if info.Name != "mine" || !slices.Equal(info.Names, []string{"mine", "mine-alias", "foo"}) {
		t.Errorf("49999/udp: %q %q", info.Name, info.Names)
	}
	// Another registry is not affected.
	if got := Default().Name("tcp", 22); got != "ssh" {
		t.Errorf("fresh Default: 22/tcp = %q", got)
	}
	// The caller may change what Lookup returned.
	info.Entries[0].Names[0] = "changed"
	if got := r.Lookup("udp", 49999).Names[0]; got != "mine" {
		t.Errorf("Lookup result aliases the registry: %q", got)
	}
}

func TestLoadFileSamePortTwice(t *testing.T) {
	r := Default()
	path := writeFile(t, "s", "first 7000/tcp\nsecond 7000/tcp alt\nfirst 7000/tcp again\n")
	if err := r.LoadFile(path, "x"); err != nil {
		t.Fatal(err)
	}
	info := r.Lookup("tcp", 7000)
	if info.Name != "first" || !slices.Equal(info.Entries[0].Names, []string{"first", "second", "alt", "again"}) {
		t.Errorf("7000/tcp: %q, x entry %+v", info.Name, info.Entries[0])
	}
}

func TestLoadFileErrors(t *testing.T) {
	r := Default()
	err := r.LoadFile(filepath.Join(t.TempDir(), "nope"), "/etc/services")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
	if err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("missing file error does not name the file: %v", err)
	}
	if err := r.LoadFile(t.TempDir(), ""); err == nil {
		t.Error("a directory loaded without error")
	}
	path := writeFile(t, "bad", "good 7001/tcp\njunk\nbad 70000/tcp\nalso-good 7002/udp\n")
	err = r.LoadFile(path, "")
	var fe *FileError
	if !errors.As(err, &fe) || len(fe.Warnings) != 2 || fe.Path != path {
		t.Fatalf("bad lines: %v, want *FileError with 2 warnings", err)
	}
	if !strings.HasPrefix(fe.Warnings[0], path+":2: ") || !strings.HasPrefix(fe.Warnings[1], path+":3: ") {
		t.Errorf("warnings do not name file and line: %q", fe.Warnings)
	}
	if !strings.Contains(err.Error(), path+":2:") || !strings.Contains(err.Error(), "1 more") {
		t.Errorf("error text %q", err)
	}
	if r.Name("tcp", 7001) != "good" || r.Name("udp", 7002) != "also-good" {
		t.Error("good lines of a file with bad lines were not loaded")
	}
}

// The host's own /etc/services, when there is one, loads without warnings.
func TestHostServicesFile(t *testing.T) {
	needHostServicesFile(t)
	r := Default()
	err := r.LoadFile("/etc/services", "/etc/services")
	if err != nil {
		t.Fatalf("LoadFile(/etc/services): %v", err)
	}
	if got := r.Name("tcp", 22); got != "ssh" {
		t.Logf("host /etc/services names 22/tcp %q", got)
	}
}

func TestZeroAndNilRegistry(t *testing.T) {
	var nilReg *Registry
	if nilReg.Name("tcp", 22) != "" || nilReg.Risk("tcp", 3389) != "" || nilReg.Lookup("tcp", 22).Name != "" {
		t.Error("nil Registry knows names")
	}
	var r Registry
	if r.Name("tcp", 22) != "" || r.Lookup("tcp", 22).Entries != nil {
		t.Error("zero Registry knows names")
	}
	path := writeFile(t, "s", "ssh 22/tcp\n")
	if err := r.LoadFile(path, "f"); err != nil {
		t.Fatal(err)
	}
	if r.Name("tcp", 22) != "ssh" || r.Name("tcp", 23) != "" || len(r.Lookup("tcp", 22).Entries) != 1 {
		t.Error("zero Registry after LoadFile")
	}
}

func TestNameDoesNotAllocate(t *testing.T) {
	r := Default()
	allocs := testing.AllocsPerRun(100, func() {
		for port := range 1024 {
			_ = r.Name("tcp", uint16(port))
			_ = r.Name("udp", uint16(port))
		}
	})
	if allocs != 0 {
		t.Errorf("Name allocates: %v per run", allocs)
	}
}

func BenchmarkName(b *testing.B) {
	r := Default()
	b.ReportAllocs()
	var port uint16
	n := 0
	for b.Loop() {
		if r.Name("tcp", port) != "" {
			n++
		}
		port++
	}
	_ = n
}

func BenchmarkDefault(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = Default()
	}
}

func BenchmarkLookup(b *testing.B) {
	r := Default()
	b.ReportAllocs()
	var port uint16
	for b.Loop() {
		_ = r.Lookup("tcp", port)
		port += 7
	}
}
