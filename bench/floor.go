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

// floorFlags are the build flags of the floor, those `make build` gives
// portwatch: trimmed paths, stripped (with CGO_ENABLED=0: static).
var floorFlags = []string{"-trimpath", "-ldflags", "-s -w"}

// buildFloor writes the floor's source into dir and builds it there with
// the toolchain the portwatch module builds with (its go line can select
// another one than the go command on PATH), CGO_ENABLED=0. It returns the
// binary's path and the toolchain's version.
func buildFloor(ctx context.Context, dir string) (bin, version string, err error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", "", fmt.Errorf("building the Go floor needs the go command on PATH: %w", err)
	}
	env := exec.CommandContext(ctx, goTool, "env", "GOROOT", "GOVERSION")
	if root, err := moduleRoot(ctx, goTool); err == nil {
		env.Dir = root
	}
	out, err := env.Output()
	if f := strings.Fields(string(out)); err == nil && len(f) == 2 {
		goTool, version = filepath.Join(f[0], "bin", "go"), f[1]
	}

	src := filepath.Join(dir, "floor")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", "", err
	}
	files := map[string]string{"go.mod": "module floor\n\ngo 1.21\n", "main.go": floorSource}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(src, name), []byte(text), 0o644); err != nil {
			return "", "", err
		}
	}
	bin = filepath.Join(dir, "hello")
	build := exec.CommandContext(ctx, goTool, append(append([]string{"build"}, floorFlags...), "-o", bin, ".")...)
	build.Dir = src
	// GOTOOLCHAIN=local: the toolchain found above, not one the floor's
	// go.mod would pick; no GOFLAGS or workspace of the caller's.
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOTOOLCHAIN=local", "GOFLAGS=", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("building the Go floor with %s: %v\n%s", goTool, err, out)
	}
	return bin, version, nil
}

// floorBuildText is how the floor was built, for the results.
func floorBuildText(version string) string {
	if version == "" {
		version = "the go command on PATH"
	}
	return fmt.Sprintf("a Go hello world (fmt.Println, one line) built by the bench with %s, CGO_ENABLED=0 go build %s",
		version, strings.Join([]string{floorFlags[0], floorFlags[1], "'" + floorFlags[2] + "'"}, " "))
}
