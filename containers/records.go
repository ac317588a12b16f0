// Package containers names the containers that processes run in, from
// the records container runtimes keep on disk: docker's config.v2.json
// per container, containers/storage's containers.json (podman, CRI-O,
// buildah) and the spec containerd keeps for each running container, with
// a Kubernetes pod's name and namespace from the labels or annotations the
// CRI puts there; and the ports they publish, from those records, podman's
// state database and docker-proxy's command line. It makes no network
// call and talks to no daemon. The parsers take bytes; Namer reads the
// files.
package containers

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Info is what a runtime's records say of one container.
type Info struct {
	Runtime string // "docker", "podman" (containers/storage), "cri-o", "containerd"
	ID      string // 64 hex digits
	Name    string // the container's name, without docker's leading "/"
	// Pod and PodNamespace name the Kubernetes pod the container belongs
	// to, from the io.kubernetes.pod.name and .namespace labels; "" when
	// it is not a pod's.
	Pod, PodNamespace string
}

// Kubernetes's labels (and CRI-O's annotations) of a pod's containers.
const (
	labelPodName      = "io.kubernetes.pod.name"
	labelPodNamespace = "io.kubernetes.pod.namespace"
	labelCRIName      = "io.kubernetes.container.name"
)

// dockerConfig is the part of docker's config.v2.json read here.
type dockerConfig struct {
	ID     string `json:"ID"`
	Name   string `json:"Name"`
	Config struct {
		Labels map[string]string `json:"Labels"`
	} `json:"Config"`
}

// ParseDockerConfig reads a container's config.v2.json, as docker keeps
// it under /var/lib/docker/containers/<id>/. A file without a valid id is
// an error naming what is wrong.
func ParseDockerConfig(data []byte) (Info, error) {
	var c dockerConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return Info{}, fmt.Errorf("docker config.v2.json: %w", err)
	}
	if !isID(c.ID) {
		return Info{}, fmt.Errorf("docker config.v2.json: ID %q is not 64 hex digits", c.ID)
	}
	info := Info{Runtime: "docker", ID: c.ID, Name: strings.TrimPrefix(c.Name, "/")}
	labels := c.Config.Labels
	if pod := labels[labelPodName]; pod != "" {
		// A pod's container under docker (dockershim, cri-dockerd): the
		// name docker gives it is k8s_..., the pod's own is in a label.
		info.Pod, info.PodNamespace = pod, labels[labelPodNamespace]
		if name := labels[labelCRIName]; name != "" {
			info.Name = name
		}
	}
	return info, nil
}

// storageContainer is one entry of containers/storage's containers.json.
type storageContainer struct {
	ID       string   `json:"id"`
	Names    []string `json:"names"`
	Metadata string   `json:"metadata"` // CRI-O: JSON with pod-name, pod-namespace
}

// crioMetadata is the metadata CRI-O stores with a container.
type crioMetadata struct {
	PodName      string `json:"pod-name"`
	PodNamespace string `json:"pod-namespace"`
	Name         string `json:"name"` // the container's name in its pod
}

// ParseStorageContainers reads containers.json, the list of containers
// that containers/storage keeps (under /var/lib/containers/storage/
// <driver>-containers/ for root, ~/.local/share/containers/storage/ for a
// user): podman's and CRI-O's. runtime is what the entries are reported
// as. Entries without a valid id are skipped; a file that is not such a
// list is an error.
func ParseStorageContainers(data []byte, runtime string) ([]Info, error) {
	var list []storageContainer
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("containers.json: %w", err)
	}
	out := make([]Info, 0, len(list))
	for _, c := range list {
		if !isID(c.ID) {
			continue
		}
		info := Info{Runtime: runtime, ID: c.ID}
		if len(c.Names) > 0 {
			info.Name = c.Names[0]
		}
		var md crioMetadata
		if c.Metadata != "" && json.Unmarshal([]byte(c.Metadata), &md) == nil && md.PodName != "" {
			info.Runtime = "cri-o"
			info.Pod, info.PodNamespace = md.PodName, md.PodNamespace
			if md.Name != "" {
				info.Name = md.Name
			}
		}
		out = append(out, info)
	}
	return out, nil
}

// isID reports whether s is a 64-hex-digit container id.
func isID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Label is how a container is shown: its name, else the first 12 digits
// of its id; for a pod's container "namespace/pod/name".
func (i Info) Label() string {
	name := i.Name
	if name == "" && len(i.ID) >= 12 {
		name = i.ID[:12]
	}
	if i.Pod != "" {
		return i.PodNamespace + "/" + i.Pod + "/" + name
	}
	return name
}

// Matches reports whether q names the container: its name, its pod's
// name, or its id or a prefix of it of at least 4 digits.
func (i Info) Matches(q string) bool {
	switch {
	case q == "":
		return false
	case q == i.Name, q == i.Label(), i.Pod != "" && q == i.Pod:
		return true
	}
	return len(q) >= 4 && strings.HasPrefix(i.ID, q)
}
