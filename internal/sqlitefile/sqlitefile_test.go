package sqlitefile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portwatch/portwatch/internal/testenv"
)

// sqlite3 runs the sqlite3 shell on db with the statements sql.
func sqlite3(t *testing.T, db, sql string) {
	t.Helper()
	cmd := exec.Command("sqlite3", db)
	cmd.Stdin = strings.NewReader(sql)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sqlite3 %s: %v: %s", db, err, out)
	}
}

// rowsSQL inserts n rows into t(id TEXT PRIMARY KEY, n INTEGER, f REAL,
// b BLOB, j TEXT), the TEXT of row i i*300 bytes long, so that later rows
// spill onto overflow pages and the table grows interior pages.
func rowsSQL(n int) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, n INTEGER, f REAL, b BLOB, j TEXT NOT NULL);\n")
	for i := range n {
		fmt.Fprintf(&b, "INSERT INTO t VALUES('id%d', %d, %d.5, x'00ff%02x', '%s');\n", i, wantInt(i), i, i, strings.Repeat(string(rune('a'+i%26)), i*300))
	}
	return b.String()
}

// wantInt is row i's INTEGER: small, negative and large values, which
// SQLite stores in 1 to 8 bytes.
func wantInt(i int) int64 {
	return []int64{0, 1, -1, 127, -129, 40000, -8388608, 1 << 40, -1 << 62}[i%9] * int64(i+1)
}

// checkRows checks that table t has rows 0..n-1 as rowsSQL wrote them.
func checkRows(t *testing.T, db *DB, n int) {
	t.Helper()
	rows, err := db.Table("T")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n {
		t.Fatalf("%d rows, want %d", len(rows), n)
	}
	for i, r := range rows {
		want := []Value{fmt.Sprintf("id%d", i), wantInt(i), float64(i) + 0.5, []byte{0, 0xff, byte(i)}, strings.Repeat(string(rune('a'+i%26)), i*300)}
		if r.RowID != int64(i+1) || len(r.Columns) != len(want) {
			t.Fatalf("row %d: rowid %d, %d columns", i, r.RowID, len(r.Columns))
		}
		for c := range want {
			if fmt.Sprint(r.Columns[c]) != fmt.Sprint(want[c]) {
				t.Errorf("row %d column %d = %.40v, want %.40v", i, c, r.Columns[c], want[c])
			}
		}
	}
}

// A database written by SQLite itself, with small pages so that rows
// spill onto overflow pages and the table has interior pages, reads back
// as written.
func TestTableFromSQLite(t *testing.T) {
	testenv.NeedProgram(t, "sqlite3", "sqlite3")
	path := filepath.Join(t.TempDir(), "db.sql")
	sqlite3(t, path, "PRAGMA page_size=1024;\n"+rowsSQL(40))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, db, 40)
	if _, err := db.Table("missing"); err == nil || !strings.Contains(err.Error(), "no table missing") {
		t.Errorf("a missing table: %v", err)
	}
}

// With the log on (podman's journal mode) and a connection still open,
// the newest rows are in the -wal file alone: they are read from it.
func TestTableFromWAL(t *testing.T) {
	testenv.NeedProgram(t, "sqlite3", "sqlite3")
	path := filepath.Join(t.TempDir(), "db.sql")
	sqlite3(t, path, "PRAGMA page_size=1024; PRAGMA journal_mode=WAL;\n"+rowsSQL(5))
	cmd := exec.Command("sqlite3", path)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	// The first five rows again, then more, in the open connection.
	more := rowsSQL(12)
	more = more[strings.Index(more, "INSERT INTO t VALUES('id5'"):]
	io.WriteString(stdin, "PRAGMA wal_autocheckpoint=0;\n"+more+"SELECT 'done';\n")
	out := bufio.NewReader(stdout)
	for {
		line, err := out.ReadString('\n')
		if err != nil {
			t.Fatalf("sqlite3: %q, %v", line, err)
		}
		if line == "done\n" {
			break
		}
	}
	var file, wal []byte
	for try := 0; try < 50; try++ {
		file, _ = os.ReadFile(path)
		wal, _ = os.ReadFile(path + "-wal")
		if len(wal) > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(wal) == 0 {
		t.Fatal("sqlite3 left no -wal file")
	}
	old, err := Open(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rows, err := old.Table("t"); err != nil || len(rows) != 5 {
		t.Errorf("the file alone: %d rows, %v; want the 5 checkpointed", len(rows), err)
	}
	db, err := Open(file, wal)
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, db, 12)
}

func TestOpenErrors(t *testing.T) {
	for _, c := range []struct {
		data  []byte
		names string
	}{
		{nil, "not an SQLite 3 database"},
		{[]byte(strings.Repeat("x", 200)), "not an SQLite 3 database"},
		{append([]byte(headerMagic+"\x03\x00"), make([]byte, 100)...), "page size 768"},
	} {
		if _, err := Open(c.data, nil); err == nil || !strings.Contains(err.Error(), c.names) {
			t.Errorf("Open(%.20q): %v, want an error naming %s", c.data, err, c.names)
		}
	}
}

func FuzzTable(f *testing.F) {
	// A small database by SQLite: 512-byte pages, a row on an overflow
	// page. (A larger seed makes the fuzzer's minimising slow.)
	data, err := os.ReadFile("testdata/small.db")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data, []byte(nil), "t")
	f.Add(data, []byte(nil), "sqlite_schema")
	f.Fuzz(func(t *testing.T, data, wal []byte, name string) {
		db, err := Open(data, wal)
		if err != nil {
			return
		}
		db.Table(name)
	})
}

// The fuzzer's seed, written by SQLite: its row b spills onto an overflow
// page of 512 bytes.
func TestSmallDB(t *testing.T) {
	data, err := os.ReadFile("testdata/small.db")
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.Table("t")
	if err != nil || len(rows) != 3 {
		t.Fatalf("%+v, %v", rows, err)
	}
	if rows[0].Columns[1] != int64(-5) || rows[1].Columns[1] != int64(70000) || rows[2].Columns[1] != nil ||
		rows[1].Columns[2] != strings.Repeat("y", 700) || rows[2].Columns[0] != "c" {
		t.Errorf("rows %.80v", rows)
	}
}
