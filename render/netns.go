package render

import "github.com/portwatch/portwatch/collector"

// netnsNames names network namespaces by inode for one rendering call:
// those of the snapshot, and Options.Namespaces for renderers without one
// (the change stream).
type netnsNames map[uint64]string

// newNetnsNames collects the names of snap's namespaces (snap may be nil)
// and of opts.Namespaces; nil when there are none.
func newNetnsNames(snap *collector.Snapshot, opts Options) netnsNames {
	var n netnsNames
	add := func(list []collector.Netns) {
		for i := range list {
			if n == nil {
				n = make(netnsNames, len(list))
			}
			if _, ok := n[list[i].Inode]; !ok || list[i].Name != "" {
				n[list[i].Inode] = list[i].Name
			}
		}
	}
	if snap != nil {
		add(snap.Namespaces)
	}
	add(opts.Namespaces)
	return n
}

// name is the namespace's name, "" when it has none.
func (n netnsNames) name(ino uint64) string { return n[ino] }

// label is the namespace's name, else net:[INODE], raw (unsanitized); "-"
// for a socket read without namespaces.
func (n netnsNames) label(ino uint64) string {
	if ino == 0 {
		return "-"
	}
	if name := n[ino]; name != "" {
		return name
	}
	return collector.NetnsLabel(ino)
}
