//go:build !linux

package collector

// RunNetnsDir is where ip netns keeps its named namespaces (Linux).
const RunNetnsDir = "/run/netns"

// NetnsList is what ListNetns found.
type NetnsList struct {
	Namespaces []Netns
	Hidden     int
}

// ListNetns is Linux only.
func ListNetns(procRoot, runDir string) (NetnsList, error) { return NetnsList{}, errNoNetnsHere() }

// ResolveNetns is Linux only.
func ResolveNetns(spec, procRoot, runDir string) (Netns, error) { return Netns{}, errNoNetnsHere() }
