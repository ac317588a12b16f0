package containers

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"

	"github.com/portwatch/portwatch/internal/sqlitefile"
)

// podmanSQLiteDB is podman 5's state database, beside the storage (root's
// here; a user's under the user's storage).
const podmanSQLiteDB = storageRoot + "/db.sql"

// podmanStateMax bounds the database (and its log) read into memory.
const podmanStateMax = 64 << 20

// readPodmanSQLite reads every container's published ports and sandbox
// from podman 5's SQLite state database at path and its write-ahead log:
// the ContainerConfig table's JSON (the same config as podman 4's) and the
// ContainerState table's (with the namespace file and the PID). A missing
// file is no forwards and no error.
func readPodmanSQLite(path string) ([]Forward, []Sandbox, error) {
	file, err := readSmall(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	wal, _ := readSmall(path + "-wal") // none when podman checkpointed it
	db, err := sqlitefile.Open(file, wal)
	if err != nil {
		return nil, nil, err
	}
	configs, err := db.Table("ContainerConfig")
	if err != nil {
		return nil, nil, err
	}
	states, err := db.Table("ContainerState")
	if err != nil {
		return nil, nil, err
	}
	stateOf := map[string]podmanState{}
	for _, r := range states {
		// ContainerState: ID, State, ExitCode, JSON.
		if id, js, ok := idAndJSON(r, 3); ok {
			var st podmanState
			if json.Unmarshal([]byte(js), &st) == nil {
				stateOf[id] = st
			}
		}
	}
	var fws []Forward
	var boxes []Sandbox
	for _, r := range configs {
		// ContainerConfig: ID, Name, PodID, JSON.
		id, js, ok := idAndJSON(r, 3)
		if !ok {
			continue
		}
		st := stateOf[id]
		fw, box, err := parsePodmanNetwork([]byte(js), st.NetNS)
		if err != nil || box.Container.ID != id {
			continue
		}
		box.PID = max(st.PID, 0)
		for i := range fw {
			fw[i].PID = box.PID
		}
		fws = append(fws, fw...)
		boxes = append(boxes, box)
	}
	sortForwards(fws)
	return fws, boxes, nil
}

// idAndJSON returns a row's first column and its column col, both TEXT.
func idAndJSON(r sqlitefile.Row, col int) (id, js string, ok bool) {
	if len(r.Columns) <= col {
		return "", "", false
	}
	id, ok1 := r.Columns[0].(string)
	js, ok2 := r.Columns[col].(string)
	return id, js, ok1 && ok2
}

// readSmall reads a file of at most podmanStateMax bytes.
func readSmall(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > podmanStateMax {
		return nil, errors.New(path + ": larger than a container state database is")
	}
	data := make([]byte, st.Size())
	n, err := io.ReadFull(f, data)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	return data[:n], nil
}
