package containers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const ctrdID = "77aa8b9c0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c"

// A pod's container is named by the CRI's annotations; a pod's sandbox is
// its POD; nerdctl's container by its own; a bare one by nothing.
func TestParseContainerdSpec(t *testing.T) {
	info, err := ParseContainerdSpec(readTestdata(t, "containerd-config.json"), ctrdID)
	want := Info{Runtime: "containerd", ID: ctrdID, Name: "api", Pod: "web-7d9f", PodNamespace: "prod"}
	if err != nil || info != want || info.Label() != "prod/web-7d9f/api" {
		t.Errorf("got %+v, %v; want %+v", info, err, want)
	}
	sandbox := `{"annotations":{"io.kubernetes.cri.container-type":"sandbox","io.kubernetes.cri.sandbox-name":"web-7d9f","io.kubernetes.cri.sandbox-namespace":"prod"}}`
	if info, _ := ParseContainerdSpec([]byte(sandbox), ctrdID); info.Label() != "prod/web-7d9f/POD" {
		t.Errorf("a sandbox: %+v", info)
	}
	if info, _ := ParseContainerdSpec([]byte(`{"annotations":{"nerdctl/name":"cache"}}`), ctrdID); info.Label() != "cache" {
		t.Errorf("nerdctl's: %+v", info)
	}
	if info, err := ParseContainerdSpec([]byte(`{"ociVersion":"1.0.2"}`), ctrdID); err != nil || info.Label() != ctrdID[:12] {
		t.Errorf("a bare spec: %+v, %v", info, err)
	}
	for _, c := range []struct{ data, id, names string }{
		{`{}`, "short", `"short"`},
		{`[`, ctrdID, ctrdID[:12]},
	} {
		if _, err := ParseContainerdSpec([]byte(c.data), c.id); err == nil || !strings.Contains(err.Error(), c.names) {
			t.Errorf("ParseContainerdSpec(%q, %q): error %v, want one naming %s", c.data, c.id, err, c.names)
		}
	}
}

// The Namer finds a running containerd container's bundle in any of its
// namespaces, for the containerd runtime and for a cgroupfs kubernetes
// path that names none, once.
func TestNamerContainerd(t *testing.T) {
	root := t.TempDir()
	spec := filepath.Join(root, containerdTasks[0], "k8s.io", ctrdID, "config.json")
	if err := os.MkdirAll(filepath.Dir(spec), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(spec, readTestdata(t, "containerd-config.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	n := NewNamer(root)
	for _, runtime := range []string{"containerd", "kubernetes"} {
		if info, ok := n.Lookup(runtime, ctrdID); !ok || info.Label() != "prod/web-7d9f/api" || !info.Matches("web-7d9f") {
			t.Errorf("Lookup(%s): %+v, %v", runtime, info, ok)
		}
	}
	if _, ok := n.Lookup("containerd", webID); ok {
		t.Error("an id without a bundle was found")
	}
	os.Remove(spec)
	if _, ok := n.Lookup("containerd", ctrdID); !ok {
		t.Error("a bundle read before was read again")
	}
}

func FuzzParseContainerdSpec(f *testing.F) {
	f.Add(readTestdata(f, "containerd-config.json"))
	f.Add([]byte(`{"annotations":{"io.kubernetes.cri.container-type":"sandbox","io.kubernetes.cri.sandbox-name":"p"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := ParseContainerdSpec(data, ctrdID)
		if err == nil && (info.ID != ctrdID || info.Runtime != "containerd") {
			t.Fatalf("accepted %+v", info)
		}
	})
}
