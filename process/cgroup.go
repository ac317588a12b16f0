package process

import "strings"

// UnitAndContainer reads a cgroup path (Info.Cgroup, a line of
// /proc/<pid>/cgroup without its "N:controllers:" prefix) for the systemd
// unit and the container it places a process in. Both describe the
// process as the host sees it; either may be found without the other.
//
// The unit is the first component, walking down from the root through
// slices ("*.slice"), that names a unit that can hold processes
// (".service", ".scope", ".socket", ".mount", ".swap"); a component that is
// neither ends the search with no unit. Deeper components are a delegated
// subtree of that unit (a container's own systemd, a service's
// sub-cgroups) and do not change it:
//
//	/system.slice/nginx.service                  nginx.service
//	/system.slice/foo.service/sub                foo.service
//	/init.scope                                  init.scope
//	/user.slice/user-1000.slice/session-3.scope  session-3.scope
//	/system.slice/docker-<id>.scope/...          docker-<id>.scope (and Container docker <id>)
//	/docker/<id>, /lxc.payload.web               no unit
//
// The exception is a user's systemd, user@UID.service: below it the same
// walk finds the user's unit, and userUnit is true
// (".../user@1000.service/app.slice/foo.service" gives foo.service). Its
// init.scope is the user manager itself, reported as the system unit
// user@1000.service (userUnit false), as is a path that names no unit
// below it.
//
// The container is the outermost one the path names (for a container
// nested in another, the one the host's tools list):
//
//	docker-<id>.scope, /docker/<id>          docker
//	cri-containerd-<id>.scope, nerdctl-<id>  containerd
//	crio-<id>.scope                          cri-o
//	libpod-<id>.scope                        podman
//	/kubepods/.../pod<uid>/<id>              kubernetes (cgroupfs driver: the runtime is not named)
//	/lxc/<name>, /lxc.payload.<name>         lxc
//
// where <id> is 64 lower-case hex digits, and the ".scope" suffixes are
// optional (the cgroupfs drivers leave them out). Conmon's scopes
// (crio-conmon-<id>, libpod-conmon-<id>) and lxc.monitor.<name> hold the
// runtime's monitor, which runs outside the container, and are not
// containers. Names are returned as the path has them, systemd's \x2d
// escapes included; unit and the container id are always substrings of
// cgroupPath.
func UnitAndContainer(cgroupPath string) (unit string, userUnit bool, c Container) {
	var parts []string
	for p := range strings.SplitSeq(cgroupPath, "/") {
		if p != "" {
			parts = append(parts, p)
		}
	}
	unit, userUnit = systemdUnit(parts)
	return unit, userUnit, container(parts)
}

// systemdUnit finds the unit of a cgroup path's components.
func systemdUnit(parts []string) (unit string, userUnit bool) {
	unit, rest := firstUnit(parts)
	if strings.HasPrefix(unit, "user@") && strings.HasSuffix(unit, ".service") {
		if u, _ := firstUnit(rest); u != "" && u != "init.scope" {
			return u, true
		}
	}
	return unit, false
}

// firstUnit walks parts through slices and returns the first unit, and
// the components below it; "" when a component that is neither a slice
// nor a unit comes first.
func firstUnit(parts []string) (unit string, rest []string) {
	for i, p := range parts {
		if hasUnitSuffix(p, ".slice") {
			continue
		}
		for _, suffix := range [...]string{".service", ".scope", ".socket", ".mount", ".swap"} {
			if hasUnitSuffix(p, suffix) {
				return p, parts[i+1:]
			}
		}
		break
	}
	return "", nil
}

// hasUnitSuffix says p is a unit name of the type suffix: the suffix after
// a non-empty name.
func hasUnitSuffix(p, suffix string) bool {
	return len(p) > len(suffix) && strings.HasSuffix(p, suffix)
}

// containerPrefixes are the cgroup name prefixes, before the hex id, of
// the container runtimes.
var containerPrefixes = [...]struct{ prefix, runtime string }{
	{"docker-", "docker"},
	{"cri-containerd-", "containerd"},
	{"nerdctl-", "containerd"},
	{"crio-", "cri-o"},
	{"libpod-", "podman"},
}

// container finds the outermost container of a cgroup path's components.
func container(parts []string) Container {
	kubepods := false
	for i, p := range parts {
		for _, cp := range containerPrefixes {
			if id, ok := strings.CutPrefix(p, cp.prefix); ok {
				if id = strings.TrimSuffix(id, ".scope"); isContainerID(id) {
					return Container{Runtime: cp.runtime, ID: id}
				}
			}
		}
		next := ""
		if i+1 < len(parts) {
			next = parts[i+1]
		}
		switch {
		case p == "docker" && isContainerID(next):
			return Container{Runtime: "docker", ID: next}
		case (p == "lxc" || p == "lxc.payload") && next != "":
			return Container{Runtime: "lxc", ID: next}
		case strings.HasPrefix(p, "lxc.payload.") && len(p) > len("lxc.payload."):
			return Container{Runtime: "lxc", ID: p[len("lxc.payload."):]}
		case kubepods && i > 0 && strings.HasPrefix(parts[i-1], "pod") && isContainerID(p):
			return Container{Runtime: "kubernetes", ID: p}
		}
		if strings.HasPrefix(p, "kubepods") {
			kubepods = true
		}
	}
	return Container{}
}

// isContainerID says s is a 64-hex-digit container id, as docker,
// containerd, cri-o and podman make them.
func isContainerID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
