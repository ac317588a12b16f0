package containers

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
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
