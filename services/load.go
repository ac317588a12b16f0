package services

import (
	"errors"
	"io/fs"
)

// SystemFile is the host's services file.
const SystemFile = "/etc/services"

// Files names the files Load lays over the built-in registry, in /etc/services
// syntax.
type Files struct {
	// System is the host's file (SystemFile); "" reads none. A missing
	// one is skipped.
	System string
	// User is the user's own file; "" reads none. Unless UserRequired, a
	// missing one is skipped.
	User string
	// UserRequired makes a User file that cannot be read an error: the
	// user named it (portwatch --services FILE).
	UserRequired bool
}

// Load returns the built-in registry with files.System and then files.User
// laid over it, later ones winning. Lines that do not parse, and a file
// that exists but cannot be read, are warnings (each naming its file): the
// registry is still usable. The error is for a required User file that
// cannot be read; the registry is then nil.
func Load(files Files) (*Registry, []string, error) {
	reg := Default()
	var warnings []string
	load := func(path string, required bool) error {
		if path == "" {
			return nil
		}
		err := reg.LoadFile(path, path)
		var fe *FileError
		switch {
		case err == nil:
		case errors.As(err, &fe):
			warnings = append(warnings, fe.Warnings...)
		case required:
			return err
		case errors.Is(err, fs.ErrNotExist):
		default:
			warnings = append(warnings, err.Error())
		}
		return nil
	}
	load(files.System, false)
	if err := load(files.User, files.UserRequired); err != nil {
		return nil, warnings, err
	}
	return reg, warnings, nil
}
