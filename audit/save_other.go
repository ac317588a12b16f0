//go:build !unix

package audit

import (
	"io/fs"
	"os"
)

// keepOwner does nothing where files have no numeric owner (Windows):
// the new file is the writer's, as any file it creates.
func keepOwner(*os.File, fs.FileInfo) error { return nil }

// syncDir does nothing where a directory cannot be opened to sync it
// (Windows): the rename is as durable as the system makes it.
func syncDir(string) error { return nil }
