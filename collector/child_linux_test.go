package collector

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// childEnv names the role a re-executed test binary plays (startChild).
const childEnv = "PORTWATCH_COLLECTOR_CHILD"

func TestMain(m *testing.M) {
	if role := os.Getenv(childEnv); role != "" {
		runChild(role)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runChild is the body of a helper process. Role "dup2" holds the socket
// it inherited as fd 3, says "ready", and on a line from stdin puts
// /dev/null over fd 3 with dup2 (the socket's file is let go of, the fd
// count stays the same), says "swapped" and lives until stdin closes.
//
// Role "sizehint" prints the socket table's size hint of its network
// namespace.
func runChild(role string) {
	if role == "sizehint" {
		fmt.Println((&linuxCollector{}).sizeHint())
		return
	}
	if role != "dup2" {
		fmt.Fprintf(os.Stderr, "unknown child role %q\n", role)
		os.Exit(1)
	}
	in := bufio.NewReader(os.Stdin)
	fmt.Println("ready")
	if _, err := in.ReadString('\n'); err != nil {
		return
	}
	null, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err == nil {
		err = unix.Dup2(null, 3)
	}
	if err == nil {
		err = unix.Close(null)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("swapped")
	io.Copy(io.Discard, in)
}
