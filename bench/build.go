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

// buildPortwatch builds ./cmd/portwatch of the module around the working
// directory into dir the way `make build` does (static, trimmed paths,
// stripped, version stamped) and returns the binary's path.
func buildPortwatch(ctx context.Context, dir string) (string, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("building portwatch needs the go command on PATH (or pass -portwatch): %w", err)
	}
	root, err := moduleRoot(ctx, goTool)
	if err != nil {
		return "", fmt.Errorf("%w: run from the repository or pass -portwatch PATH", err)
	}
	version := "dev"
	git := exec.CommandContext(ctx, "git", "describe", "--tags", "--always", "--dirty")
	git.Dir = root
	if out, err := git.Output(); err == nil && len(strings.TrimSpace(string(out))) > 0 {
		version = strings.TrimSpace(string(out))
	}
	bin := filepath.Join(dir, "portwatch")
	build := exec.CommandContext(ctx, goTool, "build", "-trimpath",
		"-ldflags", "-s -w -X main.version="+version, "-o", bin, "./cmd/portwatch")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building portwatch: %v\n%s", err, out)
	}
	return bin, nil
}

// moduleRoot is the directory of the module around the working directory,
// as goTool sees it.
func moduleRoot(ctx context.Context, goTool string) (string, error) {
	out, err := exec.CommandContext(ctx, goTool, "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside the portwatch module")
	}
	return filepath.Dir(gomod), nil
}
