package containers

import "golang.org/x/sys/unix"

// fileInode is the inode of the file at path (a namespace file: its
// namespace's inode), 0 when it cannot be read.
func fileInode(path string) uint64 {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil {
		return 0
	}
	return st.Ino
}
