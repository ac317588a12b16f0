package containers

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// DockerProxy is the name of docker's userland proxy, the process that
// holds a published port's listener on the host when docker runs it.
const DockerProxy = "docker-proxy"

// ParseDockerProxyArgs reads the port a docker-proxy process forwards from
// its command line (args without the program's own name):
//
//	-proto tcp -host-ip 0.0.0.0 -host-port 8080 -container-ip 172.17.0.2 -container-port 80
//
// Flags are spelt as Go's flag package takes them (one or two dashes,
// "-flag value" or "-flag=value"); flags it does not know (-use-listen-fd,
// -enable-sctp) are skipped. The result names no container: the caller
// finds it by ContainerIP. A command line without a host port, container
// address and container port is an error naming what is missing.
func ParseDockerProxyArgs(args []string) (Forward, error) {
	f := Forward{Proto: "tcp"}
	var hostIP, containerIP, hostPort, containerPort string
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		if !strings.HasPrefix(args[i], "-") {
			continue
		}
		var dst *string
		switch name {
		case "proto":
			dst = &f.Proto
		case "host-ip":
			dst = &hostIP
		case "host-port":
			dst = &hostPort
		case "container-ip":
			dst = &containerIP
		case "container-port":
			dst = &containerPort
		default:
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return Forward{}, fmt.Errorf("docker-proxy arguments: -%s has no value", name)
			}
			i++
			value = args[i]
		}
		*dst = value
	}
	if f.Proto != "tcp" && f.Proto != "udp" {
		return Forward{}, fmt.Errorf("docker-proxy arguments: -proto %q is not tcp or udp", f.Proto)
	}
	var err error
	if f.HostPort, err = parseProxyPort("host-port", hostPort); err != nil {
		return Forward{}, err
	}
	if f.ContainerPort, err = parseProxyPort("container-port", containerPort); err != nil {
		return Forward{}, err
	}
	if hostIP != "" {
		if f.HostIP, err = netip.ParseAddr(hostIP); err != nil {
			return Forward{}, fmt.Errorf("docker-proxy arguments: -host-ip %q is not an address", hostIP)
		}
	}
	if f.ContainerIP, err = netip.ParseAddr(containerIP); err != nil {
		return Forward{}, fmt.Errorf("docker-proxy arguments: -container-ip %q is not an address", containerIP)
	}
	return f, nil
}

// parseProxyPort reads a docker-proxy port flag's value, 1 to 65535.
func parseProxyPort(flag, s string) (uint16, error) {
	p, err := strconv.ParseUint(s, 10, 16)
	if err != nil || p == 0 {
		return 0, fmt.Errorf("docker-proxy arguments: -%s %q is not a port (1-65535)", flag, s)
	}
	return uint16(p), nil
}
