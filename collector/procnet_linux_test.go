package collector

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/portwatch/portwatch/internal/testenv"
)

// TestReadProcNetInChunks reads a table several times the read buffer,
// with one over-long line in it, and checks that every other socket is
// read, in order, and that the long line is skipped naming its number.
func TestReadProcNetInChunks(t *testing.T) {
	var b strings.Builder
	b.WriteString("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n")
	const lines, long = 3000, 1500
	var want []uint64
	for i := range lines {
		if i == long {
			b.WriteString("  9999: " + strings.Repeat("X", procNetChunk+100) + "\n")
			continue
		}
		ino := uint64(100000 + i)
		want = append(want, ino)
		fmt.Fprintf(&b, "%6d: 0100007F:%04X 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 %d 1 0000000000000000 100 0 0 10 0\n", i, 1024+i, ino)
	}
	path := filepath.Join(t.TempDir(), "tcp")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var warnings []string
	socks, err := readProcNet(path, ProtoTCP, FamilyIPv4, nil, nil, func(m string) { warnings = append(warnings, m) })
	if err != nil {
		t.Fatal(err)
	}
	var got []uint64
	for _, s := range socks {
		got = append(got, s.Inode)
	}
	if !slices.Equal(got, want) {
		t.Errorf("read %d sockets, want %d in order (first difference near %v)", len(got), len(want), firstDiff(got, want))
	}
	wantWarn := fmt.Sprintf("%s line %d: longer than %d bytes; skipped", path, long+2, procNetChunk)
	if len(warnings) != 1 || warnings[0] != wantWarn {
		t.Errorf("warnings %q, want [%q]", warnings, wantWarn)
	}
}

func firstDiff(a, b []uint64) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestSizeHintCountsOnlyTheNamespace opens thousands of TCP sockets in this
// network namespace and asks for the size hint from a child in a new, empty
// one: the host-wide "alloc" count must not size the child's table.
func TestSizeHintCountsOnlyTheNamespace(t *testing.T) {
	testenv.NeedRoot(t, "create a network namespace")
	const held = 3000
	for range held {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatalf("socket: %v (raise the open file limit)", err)
		}
		defer unix.Close(fd)
	}
	here := (&linuxCollector{}).sizeHint()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"=sizehint")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child in a new network namespace: %v", err)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	there, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		t.Fatalf("child said %q", out)
	}
	if there > 64 {
		t.Errorf("size hint in an empty namespace %d, want a few (the host holds %d sockets; its own hint is %d)", there, held, here)
	}
	if here > maxSizeHint {
		t.Errorf("size hint %d exceeds its bound %d", here, maxSizeHint)
	}
}
