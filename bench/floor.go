//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// floorSource is the Go floor: a program that prints one line and exits,
// so its run is nothing but the start-up and exit of a Go binary.
const floorSource = `package main

import "fmt"

func main() { fmt.Println("hello, world") }
`

// dumpFloorSource is the dump floor: the Go floor plus the one request
// `portwatch -tan` makes of the kernel, a sock_diag dump of every TCP
// socket of both families (the TCPDIAG_GETSOCK request, whose family the
// kernel ignores), read to its end. It prints how many sockets came back
// and decodes nothing else, so its run is the start-up of a Go binary and
// what the kernel takes to walk its socket tables.
const dumpFloorSource = `package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"syscall"
)

func main() {
	fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, 4) // NETLINK_SOCK_DIAG
	if err != nil {
		fmt.Fprintln(os.Stderr, "sock_diag:", err)
		os.Exit(1)
	}
	ne := binary.NativeEndian
	req := make([]byte, 16+60) // nlmsghdr, inet_diag_req
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], 18)             // TCPDIAG_GETSOCK
	ne.PutUint16(req[6:], 0x01|0x300)     // NLM_F_REQUEST|NLM_F_DUMP
	ne.PutUint32(req[8:], 1)              // sequence
	ne.PutUint32(req[16+52:], ^uint32(0)) // every state
	if err := syscall.Sendto(fd, req, 0, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
		fmt.Fprintln(os.Stderr, "send:", err)
		os.Exit(1)
	}
	buf := make([]byte, 64<<10) // more than any datagram of a dump
	sockets := 0
	for {
		n, _, err := syscall.Recvfrom(fd, buf, 0)
		if err != nil || n == 0 {
			fmt.Fprintln(os.Stderr, "receive:", err, "after", sockets, "sockets")
			os.Exit(1)
		}
		for off := 0; off+16 <= n; {
			size, kind := int(ne.Uint32(buf[off:])), ne.Uint16(buf[off+4:])
			switch {
			case kind == 3: // NLMSG_DONE
				fmt.Println(sockets, "TCP sockets")
				return
			case kind == 2 || size < 16: // NLMSG_ERROR, or a broken header
				fmt.Fprintln(os.Stderr, "the kernel refused the dump")
				os.Exit(1)
			}
			sockets++
			off += (size + 3) &^ 3
		}
	}
}
`

// floorFlags are the build flags of the floor, those `make build` gives
// portwatch: trimmed paths, stripped (with CGO_ENABLED=0: static).
var floorFlags = []string{"-trimpath", "-ldflags", "-s -w"}

// floorBins are the floors' binaries; a path is "" when it was not built.
type floorBins struct {
	hello, dump string
}

// buildFloors writes the floors' sources into dir and builds them there
// with the toolchain the portwatch module builds with (its go line can
// select another one than the go command on PATH), CGO_ENABLED=0. It
// returns the binaries and the toolchain's version.
func buildFloors(ctx context.Context, dir string) (bins floorBins, version string, err error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return bins, "", fmt.Errorf("building the Go floor needs the go command on PATH: %w", err)
	}
	env := exec.CommandContext(ctx, goTool, "env", "GOROOT", "GOVERSION")
	if root, err := moduleRoot(ctx, goTool); err == nil {
		env.Dir = root
	}
	out, err := env.Output()
	if f := strings.Fields(string(out)); err == nil && len(f) == 2 {
		goTool, version = filepath.Join(f[0], "bin", "go"), f[1]
	}

	if bins.hello, err = buildProgram(ctx, goTool, dir, "hello", floorSource); err != nil {
		return bins, version, err
	}
	bins.dump, err = buildProgram(ctx, goTool, dir, "dump", dumpFloorSource)
	return bins, version, err
}

// buildProgram builds the one-file program source as dir/name with goTool,
// CGO_ENABLED=0 and floorFlags.
func buildProgram(ctx context.Context, goTool, dir, name, source string) (string, error) {
	src := filepath.Join(dir, name+"-src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	files := map[string]string{"go.mod": "module " + name + "\n\ngo 1.21\n", "main.go": source}
	for file, text := range files {
		if err := os.WriteFile(filepath.Join(src, file), []byte(text), 0o644); err != nil {
			return "", err
		}
	}
	bin := filepath.Join(dir, name)
	build := exec.CommandContext(ctx, goTool, append(append([]string{"build"}, floorFlags...), "-o", bin, ".")...)
	build.Dir = src
	// GOTOOLCHAIN=local: the toolchain found above, not one the program's
	// go.mod would pick; no GOFLAGS or workspace of the caller's.
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOTOOLCHAIN=local", "GOFLAGS=", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building %s with %s: %v\n%s", name, goTool, err, out)
	}
	return bin, nil
}

// floorBuildText is how the floors were built, for the results.
func floorBuildText(version string) string {
	if version == "" {
		version = "the go command on PATH"
	}
	return fmt.Sprintf("a Go hello world (fmt.Println, one line) built by the bench with %s, CGO_ENABLED=0 go build %s",
		version, strings.Join([]string{floorFlags[0], floorFlags[1], "'" + floorFlags[2] + "'"}, " "))
}

// dumpFloorText is what the dump floor is, for the results.
const dumpFloorText = "the Go floor plus the one request `portwatch -tan` makes of the kernel (a sock_diag dump of every TCP socket of both families, read to its end, counted, nothing decoded), built the same way: " +
	"its distance from the Go floor is what the kernel takes to walk its socket tables, which no program listing them avoids"
