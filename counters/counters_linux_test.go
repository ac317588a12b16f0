package counters

import "testing"

// This machine's own files parse.
func TestReadProc(t *testing.T) {
	snap, err := Read("")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := snap.Get("Tcp", "ActiveOpens"); !ok || len(snap.Groups()) < 5 {
		t.Errorf("groups %v", snap.Groups())
	}
}
