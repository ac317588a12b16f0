package audit

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// pathSeparators are the characters that end a directory in a path.
const pathSeparators = string(filepath.Separator) + "/"

// maxLinks is how many symbolic links Save follows before it gives up, as
// the kernel does (ELOOP).
const maxLinks = 40

// Save writes the baseline to the file at path so that a reader sees either
// the old file or the new one, never half of one, and the new one survives
// a crash once Save returns: the data goes to a temporary file beside the
// target, which is synced, renamed over the target, and the directory is
// synced after the rename.
//
// A file that exists keeps its permission bits and, where the system has
// them, its owner and group; a new file gets mode 0644 less the umask. A
// symbolic link stays a link: the file it points to (at the end of a chain
// of links, which may not exist yet) is the one replaced, through a
// temporary file in that file's directory.
func (b *Baseline) Save(path string) error {
	return writeFileAtomic(path, b.Encode())
}

// writeFileAtomic writes data to path as Save describes.
func writeFileAtomic(path string, data []byte) error {
	target, err := linkTarget(path)
	if err != nil {
		return err
	}
	old, err := os.Stat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		old = nil
	case err != nil:
		return err
	case old.IsDir():
		return fmt.Errorf("%s is a directory; give the name of a file", target)
	case !old.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file (%v); give the name of a file", target, old.Mode().Type())
	}

	dir, base := splitPath(target)
	tmp, err := createTemp(dir, base)
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	renamed := false
	defer func() {
		if !renamed {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if old != nil {
		// The owner first: changing it clears set-id bits.
		if err := keepOwner(tmp, old); err != nil {
			return fmt.Errorf("cannot give the new %s the owner of the old one: %v; run as that file's owner or as root, or remove the file first", target, err)
		}
		if err := tmp.Chmod(old.Mode().Perm()); err != nil {
			return err
		}
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmpName, target); err != nil {
		return err
	}
	renamed = true
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("%s is written, but syncing its directory failed, so a crash now could lose it: %v", target, err)
	}
	return nil
}

// linkTarget follows path while it is a symbolic link and returns the
// name of the file the chain ends at, which need not exist. A relative
// link is relative to the link's own directory; the name is not cleaned,
// so that the kernel resolves ".." after the links it follows.
func linkTarget(path string) (string, error) {
	target := path
	for range maxLinks {
		fi, err := os.Lstat(target)
		if errors.Is(err, fs.ErrNotExist) {
			return target, nil
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return target, nil
		}
		dest, err := os.Readlink(target)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(dest) {
			dir, _ := splitPath(target)
			dest = dir + dest
		}
		target = dest
	}
	return "", fmt.Errorf("%s: more than %d symbolic links in a row; point it at a file", path, maxLinks)
}

// splitPath cuts path after its last separator: the directory (with the
// separator, or "" for the current one) and the file name.
func splitPath(path string) (dir, base string) {
	i := strings.LastIndexAny(path, pathSeparators)
	return path[:i+1], path[i+1:]
}

// createTemp creates a new file in dir named after base, with mode 0644
// less the umask, as a new baseline gets. The name's random part comes
// from math/rand/v2 (seeded by the runtime from the kernel): O_EXCL makes
// a guessed name harmless, and crypto/rand would link and initialise the
// whole FIPS module into every run of the binary.
func createTemp(dir, base string) (*os.File, error) {
	var err error
	for range 100 {
		name := dir + "." + base + ".tmp" + strconv.FormatUint(rand.Uint64()&(1<<48-1), 16)
		var f *os.File
		f, err = os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, err
}
