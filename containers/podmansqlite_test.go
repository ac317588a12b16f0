package containers

import (
	"os"
	"path/filepath"
	"testing"
)

// podman 5's SQLite state database (testdata/podman-db.sql, written by
// SQLite with podman's tables) gives the same forwards as podman 4's, with
// the namespace and PID from each container's state; the Namer reads it
// where podman keeps it and where a user's podman does.
func TestReadPodmanSQLite(t *testing.T) {
	fw, boxes, err := readPodmanSQLite(filepath.Join("testdata", "podman-db.sql"))
	if err != nil || len(fw) != 5 || fw[2].HostPort != 18080 || fw[2].ContainerPort != 8080 || fw[2].Netns != "/run/netns/netns-y" ||
		fw[2].PID != 4242 || fw[2].Container.Name != "pwtest-web" {
		t.Fatalf("got %+v, %v", fw, err)
	}
	if len(boxes) != 2 || boxes[0].Container.Name != "pwtest-web" || boxes[0].PID != 4242 || boxes[1].Container.Name != "db" || boxes[1].PID != 0 {
		t.Errorf("sandboxes %+v, want pwtest-web's (pid 4242) and db's (stopped)", boxes)
	}
	if fw, _, err := readPodmanSQLite(filepath.Join(t.TempDir(), "db.sql")); fw != nil || err != nil {
		t.Errorf("a missing database: %+v, %v", fw, err)
	}
	bad := filepath.Join(t.TempDir(), "db.sql")
	os.WriteFile(bad, []byte("not a database"), 0o600)
	if _, _, err := readPodmanSQLite(bad); err == nil {
		t.Error("a file that is not a database: no error")
	}

	data := readTestdata(t, "podman-db.sql")
	for _, where := range []string{podmanSQLiteDB, "/home/bob/.local/share/containers/storage/db.sql"} {
		root := t.TempDir()
		path := filepath.Join(root, where)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		n := NewNamer(root)
		if fw := n.Forwards(); len(fw) != 5 || fw[0].Container.Name != "pwtest-web" {
			t.Errorf("%s: Namer.Forwards %+v", where, fw)
		}
		if boxes := n.Sandboxes(); len(boxes) != 2 {
			t.Errorf("%s: Namer.Sandboxes %+v", where, boxes)
		}
	}
}
