package containers

import "golang.org/x/sys/unix"

// nsInode is the inode of the namespace whose file is at path, 0 when the
// file cannot be read or is not a namespace (a bind mount made in another
// mount namespace, as rootless podman's are, leaves an empty file).
func nsInode(path string) uint64 {
	var fs unix.Statfs_t
	if unix.Statfs(path, &fs) != nil || fs.Type != unix.NSFS_MAGIC {
		return 0
	}
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil {
		return 0
	}
	return st.Ino
}
