package containers

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Forward is a port a runtime publishes on the host for a container:
// connections to HostIP:HostPort (every address when HostIP is not
// valid) are forwarded to ContainerPort inside the container's network
// namespace.
type Forward struct {
	Proto         string // "tcp" or "udp"
	HostIP        netip.Addr
	HostPort      uint16
	ContainerPort uint16
	// ContainerIP is the container's address the port is forwarded to,
	// when the records or the proxy say it; not valid otherwise.
	ContainerIP netip.Addr
	Container   Info
	// Netns is the file of the container's network namespace
	// (/run/netns/netns-..., /var/run/docker/netns/...), "" when unknown;
	// NetnsInode its inode, 0 until Namer.Forwards finds it.
	Netns      string
	NetnsInode uint64
	// PID is the container's first process as the runtime's state gives
	// it (podman's), 0 when unknown: its namespace stands in for a Netns
	// file that cannot be read from here.
	PID int
}

// Matches reports whether a listener of proto on local is the host end of
// f: the same protocol and port, and the address f publishes on (an
// unspecified HostIP is every address, the listener's then being the
// wildcard).
func (f Forward) Matches(proto string, local netip.AddrPort) bool {
	if proto != f.Proto || local.Port() != f.HostPort {
		return false
	}
	a := local.Addr().Unmap()
	if !f.HostIP.IsValid() || f.HostIP.IsUnspecified() {
		return a.IsUnspecified()
	}
	return a == f.HostIP.Unmap()
}

// Target is how the forward's other end is shown: the container's label
// and port ("web:80"), else, when no record names the container, its
// address and port ("172.17.0.2:80", "[fd00::2]:80"), else the name of
// its namespace under /run/netns ("vpn:80"), else ":PORT".
func (f Forward) Target() string {
	port := strconv.Itoa(int(f.ContainerPort))
	if label := f.Container.Label(); label != "" {
		return label + ":" + port
	}
	if f.ContainerIP.IsValid() {
		return netip.AddrPortFrom(f.ContainerIP, f.ContainerPort).String()
	}
	if name, ok := strings.CutPrefix(f.Netns, "/run/netns/"); ok && name != "" && !strings.Contains(name, "/") {
		return name + ":" + port
	}
	return ":" + port
}

// dockerForwards is the part of config.v2.json that says what is
// published.
type dockerForwards struct {
	NetworkSettings struct {
		SandboxKey string                         `json:"SandboxKey"`
		Ports      map[string][]dockerPortBinding `json:"Ports"`
		Networks   map[string]struct {
			IPAddress         string `json:"IPAddress"`
			GlobalIPv6Address string `json:"GlobalIPv6Address"`
		} `json:"Networks"`
	} `json:"NetworkSettings"`
}

// dockerAddrs returns a container's addresses on its docker networks, in
// the networks' name order, IPv4 before IPv6 in each.
func (c *dockerForwards) dockerAddrs() []netip.Addr {
	names := make([]string, 0, len(c.NetworkSettings.Networks))
	for name := range c.NetworkSettings.Networks {
		names = append(names, name)
	}
	slices.Sort(names)
	var out []netip.Addr
	for _, name := range names {
		n := c.NetworkSettings.Networks[name]
		for _, s := range []string{n.IPAddress, n.GlobalIPv6Address} {
			if a, err := netip.ParseAddr(s); err == nil {
				out = append(out, a)
			}
		}
	}
	return out
}

type dockerPortBinding struct {
	HostIP   string `json:"HostIp"`
	HostPort string `json:"HostPort"`
}

// ParseDockerForwards reads the published ports of a container from its
// config.v2.json: NetworkSettings.Ports ("80/tcp": [{HostIp, HostPort}]),
// the namespace file, SandboxKey, and the container's first address on
// its networks. Bindings that do not parse are skipped.
func ParseDockerForwards(data []byte) ([]Forward, error) {
	fws, _, err := parseDockerNetwork(data)
	return fws, err
}

// Sandbox is where a container's network lives, as its runtime's
// records say: its namespace file ("" when they do not say), its
// addresses (docker's networks; none for podman) and that file's inode,
// set by the Namer.
type Sandbox struct {
	Container  Info
	Netns      string
	NetnsInode uint64
	PID        int // as Forward's
	Addrs      []netip.Addr
}

// parseDockerNetwork reads a container's published ports and its sandbox
// from its config.v2.json.
func parseDockerNetwork(data []byte) ([]Forward, Sandbox, error) {
	info, err := ParseDockerConfig(data)
	if err != nil {
		return nil, Sandbox{}, err
	}
	var c dockerForwards
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, Sandbox{}, fmt.Errorf("docker config.v2.json: %w", err)
	}
	box := Sandbox{Container: info, Netns: c.NetworkSettings.SandboxKey, Addrs: c.dockerAddrs()}
	var first netip.Addr
	if len(box.Addrs) > 0 {
		first = box.Addrs[0]
	}
	var out []Forward
	for spec, binds := range c.NetworkSettings.Ports {
		port, proto, ok := strings.Cut(spec, "/")
		cport, err := strconv.ParseUint(port, 10, 16)
		if !ok || err != nil || cport == 0 || (proto != "tcp" && proto != "udp") {
			continue
		}
		for _, b := range binds {
			hport, err := strconv.ParseUint(b.HostPort, 10, 16)
			if err != nil || hport == 0 {
				continue
			}
			f := Forward{Proto: proto, HostPort: uint16(hport), ContainerPort: uint16(cport), ContainerIP: first,
				Container: info, Netns: box.Netns}
			if b.HostIP != "" {
				if f.HostIP, err = netip.ParseAddr(b.HostIP); err != nil {
					continue
				}
			}
			out = append(out, f)
		}
	}
	sortForwards(out)
	return out, box, nil
}

// podmanConfig is the part of the container config podman keeps in its
// state database (the ctr bucket's config value) that says what is
// published.
type podmanConfig struct {
	ID       string              `json:"id"`
	Name     string              `json:"name"`
	Mappings []podmanPortMapping `json:"newPortMappings"`
}

type podmanPortMapping struct {
	HostIP        string `json:"host_ip"`
	ContainerPort uint16 `json:"container_port"`
	HostPort      uint16 `json:"host_port"`
	Range         uint16 `json:"range"`
	Protocol      string `json:"protocol"` // "tcp", "udp" or both, comma-separated
}

// podmanState is the part of the state podman keeps of a container (the
// state value of its bucket; the ContainerState row's JSON in podman 5)
// read here.
type podmanState struct {
	PID   int    `json:"pid"`
	NetNS string `json:"netNS"` // podman 5's (podman 4 keeps it beside)
}

// podmanStatePID is the PID of a container's first process in the state
// podman keeps, 0 when it is not running or the state does not parse.
func podmanStatePID(state []byte) int {
	var st podmanState
	if json.Unmarshal(state, &st) != nil || st.PID < 0 {
		return 0
	}
	return st.PID
}

// maxPortRange bounds the ports one mapping stands for.
const maxPortRange = 1024

// ParsePodmanForwards reads the published ports of a container from the
// config podman keeps in its state database; netns is the namespace file
// the database gives the container. A range maps each port in it.
func ParsePodmanForwards(config []byte, netns string) ([]Forward, error) {
	fws, _, err := parsePodmanNetwork(config, netns)
	return fws, err
}

// parsePodmanNetwork reads a container's published ports and its sandbox
// from the config podman keeps, with netns its namespace file.
func parsePodmanNetwork(config []byte, netns string) ([]Forward, Sandbox, error) {
	var c podmanConfig
	if err := json.Unmarshal(config, &c); err != nil {
		return nil, Sandbox{}, fmt.Errorf("podman container config: %w", err)
	}
	if !isID(c.ID) {
		return nil, Sandbox{}, fmt.Errorf("podman container config: id %q is not 64 hex digits", c.ID)
	}
	info := Info{Runtime: "podman", ID: c.ID, Name: c.Name}
	box := Sandbox{Container: info, Netns: netns}
	var out []Forward
	for _, m := range c.Mappings {
		var host netip.Addr
		if m.HostIP != "" {
			var err error
			if host, err = netip.ParseAddr(m.HostIP); err != nil {
				continue
			}
		}
		n := max(int(m.Range), 1)
		if n > maxPortRange || int(m.HostPort)+n-1 > 65535 || int(m.ContainerPort)+n-1 > 65535 || m.HostPort == 0 || m.ContainerPort == 0 {
			continue
		}
		for _, proto := range strings.Split(m.Protocol, ",") {
			if proto != "tcp" && proto != "udp" {
				continue
			}
			for i := range n {
				out = append(out, Forward{Proto: proto, HostIP: host, HostPort: m.HostPort + uint16(i),
					ContainerPort: m.ContainerPort + uint16(i), Container: info, Netns: netns})
			}
		}
	}
	sortForwards(out)
	return out, box, nil
}

// sortForwards orders forwards by protocol, host port and address.
func sortForwards(fs []Forward) {
	slices.SortStableFunc(fs, func(a, b Forward) int {
		return cmp.Or(cmp.Compare(a.Proto, b.Proto), cmp.Compare(a.HostPort, b.HostPort), a.HostIP.Compare(b.HostIP))
	})
}
