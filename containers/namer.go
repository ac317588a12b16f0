package containers

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
)

// Where the runtimes keep their records, under the root of a Namer.
const (
	dockerContainers = "/var/lib/docker/containers"
	// Rootless docker's, under each user's data directory.
	dockerUsers     = "/home/*/.local/share/docker/containers"
	dockerRootUser  = "/root/.local/share/docker/containers"
	storageRoot     = "/var/lib/containers/storage"
	storageUsers    = "/home/*/.local/share/containers/storage" // rootless podman
	storageRootUser = "/root/.local/share/containers/storage"
)

// Namer looks containers up in the runtimes' records, reading each file
// at most once. It is safe for concurrent use.
type Namer struct {
	root string // "" for /, else a directory standing for it (tests)

	mu     sync.Mutex
	docker map[string]*Info // by id; nil entries: looked up, not found
	// dockerDirList holds dockerDirs' answer once it is found.
	dockerDirList []string
	storage       map[string]Info // by id, from every containers.json
	// containerd holds the bundles' answers by id; a zero Info: looked
	// up, not found.
	containerd map[string]Info
	loaded     bool // storage was read

	forwards  []Forward // every published port; nil until read
	sandboxes []Sandbox // every container's network the records give, with forwards
	fwRead    bool
}

// NewNamer returns a Namer reading the records under root ("" for the
// machine's own).
func NewNamer(root string) *Namer { return &Namer{root: root} }

// Lookup returns what the records say of the container runtime calls id
// (as process.UnitAndContainer reports it), and whether they know it.
func (n *Namer) Lookup(runtime, id string) (Info, bool) {
	if !isID(id) {
		return Info{}, false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	switch runtime {
	case "docker":
		return n.lookupDocker(id)
	case "podman", "cri-o":
		return n.lookupStorage(id)
	}
	// containerd (whose bundles are read first) and the cgroupfs driver's
	// kubernetes paths, which do not say which runtime: try every record.
	if info, ok := n.lookupContainerd(id); ok {
		return info, true
	}
	if info, ok := n.lookupDocker(id); ok {
		return info, true
	}
	return n.lookupStorage(id)
}

func (n *Namer) lookupDocker(id string) (Info, bool) {
	if info, seen := n.docker[id]; seen {
		if info == nil {
			return Info{}, false
		}
		return *info, true
	}
	if n.docker == nil {
		n.docker = map[string]*Info{}
	}
	for _, dir := range n.dockerDirs() {
		data, err := os.ReadFile(filepath.Join(dir, id, "config.v2.json"))
		if err != nil {
			continue
		}
		if info, err := ParseDockerConfig(data); err == nil && info.ID == id {
			n.docker[id] = &info
			return info, true
		}
	}
	n.docker[id] = nil
	return Info{}, false
}

// dockerDirs are the directories docker keeps containers' records in:
// the system's docker's, then each rootless docker's; n.mu is held.
func (n *Namer) dockerDirs() []string {
	if n.dockerDirList == nil {
		n.dockerDirList = []string{filepath.Join(n.root, dockerContainers)}
		for _, pattern := range []string{dockerRootUser, dockerUsers} {
			m, _ := filepath.Glob(filepath.Join(n.root, pattern))
			n.dockerDirList = append(n.dockerDirList, m...)
		}
	}
	return n.dockerDirList
}

func (n *Namer) lookupStorage(id string) (Info, bool) {
	if !n.loaded {
		n.loaded = true
		n.storage = map[string]Info{}
		var files []string
		for _, dir := range []string{storageRoot, storageRootUser, storageUsers} {
			m, _ := filepath.Glob(filepath.Join(n.root, dir, "*-containers", "containers.json"))
			files = append(files, m...)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			list, err := ParseStorageContainers(data, "podman")
			if err != nil {
				continue
			}
			for _, info := range list {
				n.storage[info.ID] = info
			}
		}
	}
	info, ok := n.storage[id]
	return info, ok
}

// Forwards returns every port docker and podman publish on the host for
// their containers, with the inode of each container's namespace where
// its file can be read: docker's from every config.v2.json, podman's from
// its state database, root's and each user's. Records that cannot be read
// are skipped.
func (n *Namer) Forwards() []Forward {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.readForwards()
	return n.forwards
}

// readForwards reads every record of published ports once; n.mu is held.
func (n *Namer) readForwards() {
	if n.fwRead {
		return
	}
	n.fwRead = true
	var configs []string
	for _, dir := range n.dockerDirs() {
		m, _ := filepath.Glob(filepath.Join(dir, "*", "config.v2.json"))
		configs = append(configs, m...)
	}
	for _, path := range configs {
		if data, err := os.ReadFile(path); err == nil {
			if fw, box, err := parseDockerNetwork(data); err == nil {
				n.forwards = append(n.forwards, fw...)
				n.sandboxes = append(n.sandboxes, box)
			}
		}
	}
	// Root's podman 4, then each user's (rootless podman keeps the same
	// database under the user's storage).
	dbs := []string{filepath.Join(n.root, podmanStateDB)}
	for _, dir := range []string{storageRootUser, storageUsers} {
		m, _ := filepath.Glob(filepath.Join(n.root, dir, "libpod", "bolt_state.db"))
		dbs = append(dbs, m...)
	}
	for _, db := range dbs {
		if fw, boxes, err := readPodmanForwards(db); err == nil {
			n.forwards = append(n.forwards, fw...)
			n.sandboxes = append(n.sandboxes, boxes...)
		}
	}
	// podman 5's SQLite databases, root's and each user's.
	sqls := []string{filepath.Join(n.root, podmanSQLiteDB)}
	for _, dir := range []string{storageRootUser, storageUsers} {
		m, _ := filepath.Glob(filepath.Join(n.root, dir, "db.sql"))
		sqls = append(sqls, m...)
	}
	for _, db := range sqls {
		if fw, boxes, err := readPodmanSQLite(db); err == nil {
			n.forwards = append(n.forwards, fw...)
			n.sandboxes = append(n.sandboxes, boxes...)
		}
	}
	for i := range n.forwards {
		f := &n.forwards[i]
		f.Netns, f.NetnsInode = n.netnsOf(f.Netns, f.PID)
	}
	for i := range n.sandboxes {
		b := &n.sandboxes[i]
		b.Netns, b.NetnsInode = n.netnsOf(b.Netns, b.PID)
	}
}

// netnsOf is the namespace file a container's network is read from and
// its inode: the runtime's file when it is a namespace here, else that of
// the container's first process (pid, when the state gives it), else the
// runtime's file with inode 0.
func (n *Namer) netnsOf(path string, pid int) (string, uint64) {
	if path != "" {
		if ino := nsInode(filepath.Join(n.root, path)); ino != 0 {
			return path, ino
		}
	}
	if pid > 0 {
		proc := "/proc/" + strconv.Itoa(pid) + "/ns/net"
		if ino := nsInode(filepath.Join(n.root, proc)); ino != 0 {
			return proc, ino
		}
	}
	return path, 0
}

// Sandboxes returns the network of every container the records give
// (docker's config.v2.json, podman's state databases), with the inode of
// each namespace file that can be read.
func (n *Namer) Sandboxes() []Sandbox {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.readForwards()
	return n.sandboxes
}

// CompleteProxy fills in what a forward read from a proxy's own command
// line (ParseDockerProxyArgs) does not say: the container that has its
// ContainerIP on one of docker's networks, and that container's
// namespace, else those of a record publishing the same host port. A
// forward no record explains is returned as it is.
func (n *Namer) CompleteProxy(f Forward) Forward {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.readForwards()
	for _, box := range n.sandboxes {
		if slices.Contains(box.Addrs, f.ContainerIP) {
			f.Container, f.Netns, f.NetnsInode = box.Container, box.Netns, box.NetnsInode
			return f
		}
	}
	for _, r := range n.forwards {
		if r.Proto == f.Proto && r.HostPort == f.HostPort && r.ContainerPort == f.ContainerPort {
			f.Container, f.Netns, f.NetnsInode = r.Container, r.Netns, r.NetnsInode
			return f
		}
	}
	return f
}
