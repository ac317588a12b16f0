package containers

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// containerdTasks are where containerd keeps each running container's
// bundle (<namespace>/<id>/config.json, the OCI runtime spec it started it
// with): the v2 shims' directory, and the v1 linux runtime's.
var containerdTasks = []string{
	"/run/containerd/io.containerd.runtime.v2.task",
	"/run/containerd/io.containerd.runtime.v1.linux",
}

// The annotations containerd's CRI plugin and nerdctl put in a
// container's spec.
const (
	annotationCRIType         = "io.kubernetes.cri.container-type" // "sandbox" or "container"
	annotationCRIName         = "io.kubernetes.cri.container-name"
	annotationCRIPod          = "io.kubernetes.cri.sandbox-name"
	annotationCRIPodNamespace = "io.kubernetes.cri.sandbox-namespace"
	annotationNerdctlName     = "nerdctl/name"
)

// ociSpec is the part of an OCI runtime spec (a bundle's config.json)
// read here.
type ociSpec struct {
	Annotations map[string]string `json:"annotations"`
}

// ParseContainerdSpec reads what a running containerd container's spec
// (its bundle's config.json) says of the container id: the pod and the
// container's name in it from the CRI's annotations, else nerdctl's name.
// A pod's sandbox (its pause container) is named "POD", as the kubelet
// names it. A spec that is not JSON, or an id that is not 64 hex digits,
// is an error.
func ParseContainerdSpec(data []byte, id string) (Info, error) {
	if !isID(id) {
		return Info{}, fmt.Errorf("containerd bundle: id %q is not 64 hex digits", id)
	}
	var spec ociSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		return Info{}, fmt.Errorf("containerd bundle %s: config.json: %w", id[:12], err)
	}
	a := spec.Annotations
	info := Info{Runtime: "containerd", ID: id, Name: a[annotationNerdctlName]}
	if pod := a[annotationCRIPod]; pod != "" {
		info.Pod, info.PodNamespace, info.Name = pod, a[annotationCRIPodNamespace], a[annotationCRIName]
		if a[annotationCRIType] == "sandbox" {
			info.Name = "POD"
		}
	}
	return info, nil
}

// lookupContainerd reads the spec of the running containerd container id
// from its bundle, in whichever containerd namespace (k8s.io, default,
// moby) it is; n.mu is held.
func (n *Namer) lookupContainerd(id string) (Info, bool) {
	if info, seen := n.containerd[id]; seen {
		return info, info.ID != ""
	}
	if n.containerd == nil {
		n.containerd = map[string]Info{}
	}
	var info Info
	for _, dir := range containerdTasks {
		specs, _ := filepath.Glob(filepath.Join(n.root, dir, "*", id, "config.json"))
		for _, path := range specs {
			if data, err := os.ReadFile(path); err == nil {
				if got, err := ParseContainerdSpec(data, id); err == nil {
					info = got
					break
				}
			}
		}
		if info.ID != "" {
			break
		}
	}
	n.containerd[id] = info
	return info, info.ID != ""
}
