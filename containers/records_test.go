package containers

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	bolt "go.etcd.io/bbolt"
)

const (
	webID = "4f1c8a2b9d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f90"
	dbID  = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b"
	podID = "1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseDockerConfig(t *testing.T) {
	info, err := ParseDockerConfig(readTestdata(t, "docker-config.v2.json"))
	want := Info{Runtime: "docker", ID: webID, Name: "web"}
	if err != nil || info != want {
		t.Fatalf("got %+v, %v; want %+v", info, err, want)
	}
	if info.Label() != "web" || !info.Matches("web") || !info.Matches("4f1c8a") || info.Matches("4f1") || info.Matches("db") {
		t.Errorf("label %q or matching of %+v is wrong", info.Label(), info)
	}
	// A pod's container under docker names its pod in labels.
	pod := `{"ID":"` + podID + `","Name":"/k8s_api_web-7d9f_prod_uid_0","Config":{"Labels":{"io.kubernetes.pod.name":"web-7d9f","io.kubernetes.pod.namespace":"prod","io.kubernetes.container.name":"api"}}}`
	info, err = ParseDockerConfig([]byte(pod))
	want = Info{Runtime: "docker", ID: podID, Name: "api", Pod: "web-7d9f", PodNamespace: "prod"}
	if err != nil || info != want || info.Label() != "prod/web-7d9f/api" || !info.Matches("web-7d9f") {
		t.Errorf("pod container: got %+v (%q), %v; want %+v", info, info.Label(), err, want)
	}
	for _, bad := range []string{``, `[]`, `{"ID":"abc","Name":"/x"}`, `{"ID":"` + webID[:63] + `G"}`, `{"Name":"/x"}`} {
		if _, err := ParseDockerConfig([]byte(bad)); err == nil {
			t.Errorf("ParseDockerConfig(%q): no error", bad)
		}
	}
}

func TestParseStorageContainers(t *testing.T) {
	list, err := ParseStorageContainers(readTestdata(t, "containers.json"), "podman")
	want := []Info{
		{Runtime: "podman", ID: dbID, Name: "db"},
		{Runtime: "cri-o", ID: podID, Name: "api", Pod: "web-7d9f", PodNamespace: "prod"},
	}
	if err != nil || !reflect.DeepEqual(list, want) {
		t.Fatalf("got %+v, %v; want %+v", list, err, want)
	}
	for _, bad := range []string{``, `{}`, `[1]`} {
		if _, err := ParseStorageContainers([]byte(bad), "podman"); err == nil {
			t.Errorf("ParseStorageContainers(%q): no error", bad)
		}
	}
}

// The Namer reads docker's record of one id, and every containers.json of
// root and of users, once.
func TestNamer(t *testing.T) {
	root := t.TempDir()
	write := func(path string, data []byte) {
		full := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(dockerContainers+"/"+webID+"/config.v2.json", readTestdata(t, "docker-config.v2.json"))
	write(storageRoot+"/overlay-containers/containers.json", readTestdata(t, "containers.json"))
	rootless := `[{"id":"` + webID[:60] + `abcd","names":["mine"]}]`
	write("/home/alice/.local/share/containers/storage/overlay-containers/containers.json", []byte(rootless))

	n := NewNamer(root)
	for _, c := range []struct {
		runtime, id, label string
		ok                 bool
	}{
		{"docker", webID, "web", true},
		{"podman", dbID, "db", true},
		{"cri-o", podID, "prod/web-7d9f/api", true},
		{"kubernetes", podID, "prod/web-7d9f/api", true},
		{"containerd", webID, "web", true},
		{"podman", webID[:60] + "abcd", "mine", true},
		{"docker", dbID, "", false},
		{"docker", "short", "", false},
	} {
		info, ok := n.Lookup(c.runtime, c.id)
		if ok != c.ok || info.Label() != c.label {
			t.Errorf("Lookup(%s, %s) = %+v (%q), %v; want %q, %v", c.runtime, c.id, info, info.Label(), ok, c.label, c.ok)
		}
	}
	// Records are read once: a container created after the first lookup
	// is not seen by this Namer.
	write(dockerContainers+"/"+dbID+"/config.v2.json", []byte(`{"ID":"`+dbID+`","Name":"/late"}`))
	if _, ok := n.Lookup("docker", dbID); ok {
		t.Error("a docker id looked up before was read again")
	}
}

func FuzzParseDockerConfig(f *testing.F) {
	f.Add(readTestdata(f, "docker-config.v2.json"))
	f.Add([]byte(`{"ID":"` + podID + `","Config":{"Labels":{"io.kubernetes.pod.name":"p"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := ParseDockerConfig(data)
		if err == nil && (!isID(info.ID) || info.Runtime != "docker") {
			t.Fatalf("accepted %+v", info)
		}
	})
}

func FuzzParseStorageContainers(f *testing.F) {
	f.Add(readTestdata(f, "containers.json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := ParseStorageContainers(data, "podman")
		for _, info := range list {
			if err != nil || !isID(info.ID) || (info.Runtime != "podman" && info.Runtime != "cri-o") {
				t.Fatalf("accepted %+v (%v)", info, err)
			}
		}
	})
}

func TestParseDockerForwards(t *testing.T) {
	fw, err := ParseDockerForwards(readTestdata(t, "docker-config.v2.json"))
	if err != nil || len(fw) != 1 {
		t.Fatalf("got %+v, %v", fw, err)
	}
	f := fw[0]
	if f.Proto != "tcp" || f.HostIP != netip.MustParseAddr("127.0.0.1") || f.HostPort != 8080 || f.ContainerPort != 80 ||
		f.Container.Name != "web" || f.Netns != "/var/run/docker/netns/aa" {
		t.Errorf("forward %+v", f)
	}
	if !f.Matches("tcp", netip.MustParseAddrPort("127.0.0.1:8080")) || f.Matches("tcp", netip.MustParseAddrPort("0.0.0.0:8080")) ||
		f.Matches("udp", netip.MustParseAddrPort("127.0.0.1:8080")) || f.Matches("tcp", netip.MustParseAddrPort("127.0.0.1:8081")) {
		t.Errorf("Matches of %+v is wrong", f)
	}
	all := Forward{Proto: "tcp", HostPort: 80}
	if !all.Matches("tcp", netip.MustParseAddrPort("0.0.0.0:80")) || !all.Matches("tcp", netip.MustParseAddrPort("[::]:80")) ||
		all.Matches("tcp", netip.MustParseAddrPort("127.0.0.1:80")) {
		t.Errorf("Matches of a forward on every address is wrong")
	}
}

// podman's config: a single port and a range over both protocols; a bad
// mapping is skipped.
func TestParsePodmanForwards(t *testing.T) {
	fw, err := ParsePodmanForwards(readTestdata(t, "podman-config.json"), "/run/netns/netns-x")
	if err != nil {
		t.Fatal(err)
	}
	type short struct {
		proto      string
		host       string
		hport, cpt uint16
	}
	var got []short
	for _, f := range fw {
		if f.Container.Name != "pwtest-web" || f.Container.Runtime != "podman" || f.Netns != "/run/netns/netns-x" {
			t.Errorf("forward %+v", f)
		}
		h := ""
		if f.HostIP.IsValid() {
			h = f.HostIP.String()
		}
		got = append(got, short{f.Proto, h, f.HostPort, f.ContainerPort})
	}
	want := []short{{"tcp", "", 5353, 53}, {"tcp", "", 5354, 54}, {"tcp", "127.0.0.1", 18080, 8080}, {"udp", "", 5353, 53}, {"udp", "", 5354, 54}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	bad := `{"id":"` + podID + `","name":"x","newPortMappings":[{"host_port":0,"container_port":1,"protocol":"tcp"},{"host_port":65535,"container_port":1,"range":2,"protocol":"tcp"},{"host_ip":"nope","host_port":1,"container_port":1,"protocol":"tcp"}]}`
	if fw, err := ParsePodmanForwards([]byte(bad), ""); err != nil || len(fw) != 0 {
		t.Errorf("bad mappings: %+v, %v", fw, err)
	}
	if _, err := ParsePodmanForwards([]byte(`{"id":"x"}`), ""); err == nil {
		t.Error("a config without a valid id: no error")
	}
}

// A state database in podman's layout (ctr/<id>/config and netns) is read
// for its forwards; a missing one is none.
func TestReadPodmanForwards(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bolt_state.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := readTestdata(t, "podman-config.json")
	err = db.Update(func(tx *bolt.Tx) error {
		ctrs, err := tx.CreateBucket([]byte("ctr"))
		if err != nil {
			return err
		}
		b, err := ctrs.CreateBucket([]byte("6db13b7e7f1d26bb0252228d37a5ef48002d4cddb1029d0dfd6dfa9ba54c3c72"))
		if err != nil {
			return err
		}
		b.Put([]byte("config"), cfg)
		b.Put([]byte("netns"), []byte("/run/netns/netns-y"))
		ctrs.Put([]byte("stray"), []byte("a value, not a container"))
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	// The Namer reads it where rootless podman keeps it, and docker's
	// published ports beside it.
	root := t.TempDir()
	userDB := filepath.Join(root, "/home/alice/.local/share/containers/storage/libpod/bolt_state.db")
	docker := filepath.Join(root, dockerContainers, webID, "config.v2.json")
	for _, p := range []string{userDB, docker} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(userDB, data, 0o600)
	os.WriteFile(docker, readTestdata(t, "docker-config.v2.json"), 0o600)
	all := NewNamer(root).Forwards()
	if len(all) != 6 || all[0].Container.Runtime != "docker" || all[0].HostPort != 8080 || all[3].Container.Name != "pwtest-web" {
		t.Errorf("Namer.Forwards: %+v", all)
	}

	fw, boxes, err := readPodmanForwards(path)
	if err != nil || len(fw) != 5 || fw[2].HostPort != 18080 || fw[2].Netns != "/run/netns/netns-y" {
		t.Errorf("got %+v, %v", fw, err)
	}
	if len(boxes) != 1 || boxes[0].Container.Name != "pwtest-web" || boxes[0].Netns != "/run/netns/netns-y" {
		t.Errorf("sandboxes %+v, want pwtest-web's in /run/netns/netns-y", boxes)
	}
	if boxes := NewNamer(root).Sandboxes(); len(boxes) != 2 || boxes[0].Container.Name != "web" || boxes[0].Addrs[0] != netip.MustParseAddr("172.17.0.2") ||
		boxes[1].Container.Name != "pwtest-web" {
		t.Errorf("Namer.Sandboxes: %+v, want docker's web (172.17.0.2) and alice's pwtest-web", boxes)
	}
	if fw, _, err := readPodmanForwards(filepath.Join(t.TempDir(), "none.db")); fw != nil || err != nil {
		t.Errorf("a missing database: %+v, %v", fw, err)
	}
}

func FuzzParsePodmanForwards(f *testing.F) {
	f.Add(readTestdata(f, "podman-config.json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fw, err := ParsePodmanForwards(data, "")
		if err != nil && fw != nil {
			t.Fatal("forwards with an error")
		}
		if len(fw) > 2*maxPortRange*len(data) {
			t.Fatalf("%d forwards from %d bytes", len(fw), len(data))
		}
		for _, x := range fw {
			if x.HostPort == 0 || x.ContainerPort == 0 || (x.Proto != "tcp" && x.Proto != "udp") {
				t.Fatalf("forward %+v", x)
			}
		}
	})
}
