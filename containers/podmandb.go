package containers

import (
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

// podmanStateDB is podman's state database (podman 4; podman 5 keeps an
// SQLite one, db.sql, beside it, which is not read).
const podmanStateDB = storageRoot + "/libpod/bolt_state.db"

// podmanDBTimeout bounds the wait for podman, which holds the database's
// lock while it writes.
const podmanDBTimeout = 200 * time.Millisecond

// readPodmanForwards reads every container's published ports and sandbox from
// podman's state database at path, opened read-only: the ctr bucket holds
// a bucket per container id with its config (JSON) and its netns path.
// A missing file is no forwards and no error.
func readPodmanForwards(path string) ([]Forward, []Sandbox, error) {
	if _, err := os.Stat(path); err != nil {
		if os.IsNotExist(err) {
			return nil, nil, nil
		}
		return nil, nil, err
	}
	db, err := bolt.Open(path, 0, &bolt.Options{ReadOnly: true, Timeout: podmanDBTimeout})
	if err != nil {
		return nil, nil, err
	}
	defer db.Close()
	var out []Forward
	var boxes []Sandbox
	err = db.View(func(tx *bolt.Tx) error {
		ctrs := tx.Bucket([]byte("ctr"))
		if ctrs == nil {
			return nil
		}
		return ctrs.ForEach(func(id, v []byte) error {
			b := ctrs.Bucket(id)
			if v != nil || b == nil {
				return nil
			}
			fw, box, err := parsePodmanNetwork(b.Get([]byte("config")), string(b.Get([]byte("netns"))))
			if err == nil {
				box.PID = podmanStatePID(b.Get([]byte("state")))
				for i := range fw {
					fw[i].PID = box.PID
				}
				out = append(out, fw...)
				boxes = append(boxes, box)
			}
			return nil
		})
	})
	return out, boxes, err
}
