package containers

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/portwatch/portwatch/internal/portrange"
)

// Pasta is the name pasta runs as (passt in pasta mode, which podman
// starts for a rootless container's network); PastaProcess reports
// whether a process is it from its command name and argv[0] (the
// binary execs a build for the CPU, passt.avx2).
const Pasta = "pasta"

// PastaComm reports whether a process named comm may be pasta: the
// binary runs as pasta, passt or a build for the CPU (passt.avx2);
// PastaProcess tells from its argv[0].
func PastaComm(comm string) bool {
	return comm == Pasta || strings.HasPrefix(comm, "passt")
}

// PastaProcess reports whether a process named comm whose argv[0] is arg0
// is pasta.
func PastaProcess(comm, arg0 string) bool {
	return PastaComm(comm) && filepath.Base(arg0) == Pasta
}

// pastaValueFlags are pasta's options that take a value, so that the
// PID at the end of its command line is told from a value.
var pastaValueFlags = map[string]bool{
	"-t": true, "-u": true, "-T": true, "-U": true, "-a": true, "-n": true, "-g": true, "-i": true, "-o": true,
	"-D": true, "-S": true, "-p": true, "-P": true, "-m": true, "-M": true, "-F": true, "-l": true, "-I": true,
	"--tcp-ports": true, "--udp-ports": true, "--tcp-ns": true, "--udp-ns": true, "--runas": true,
	"--userns": true, "--netns": true, "--address": true, "--netmask": true, "--gateway": true,
	"--interface": true, "--outbound": true, "--dns": true, "--search": true, "--pcap": true,
	"--pid": true, "--mtu": true, "--mac-addr": true, "--fd": true, "--log-file": true, "--ns-ifname": true,
	"--outbound-if4": true, "--outbound-if6": true, "--dns-forward": true,
}

// maxPastaForwards bounds the ports one pasta command line stands for.
const maxPastaForwards = 4 * maxPortRange

// ParsePastaArgs reads the ports a pasta process forwards into a
// namespace from its command line (args without the program's own name):
// each -t/--tcp-ports and -u/--udp-ports SPEC ("[ADDR[%IF]/]PORTS[:TARGETS]"
// with PORTS a comma-separated list of N or N-M), and the namespace they
// go to, --netns PATH|NAME (a NAME is under /run/netns) or a PID at the
// end, as the namespace file Netns ("" when pasta made the namespace for
// a command of its own). "none", "auto" and "all" specs, and exclusions
// (~N), forward no port known from the command line and are skipped. A
// spec that does not parse is an error naming it.
func ParsePastaArgs(args []string) ([]Forward, error) {
	var out []Forward
	netns := ""
	for i := 0; i < len(args); i++ {
		flag, value, hasValue := strings.Cut(args[i], "=")
		if !strings.HasPrefix(flag, "--") {
			flag, value, hasValue = args[i], "", false
			if len(flag) > 2 && flag[0] == '-' && pastaValueFlags[flag[:2]] {
				flag, value, hasValue = flag[:2], flag[2:], true // -t8080
			}
		}
		if !pastaValueFlags[flag] {
			if i == len(args)-1 && isDigits(flag) && netns == "" {
				netns = "/proc/" + flag + "/ns/net"
			}
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("pasta arguments: %s has no value", flag)
			}
			i++
			value = args[i]
		}
		switch flag {
		case "-t", "--tcp-ports", "-u", "--udp-ports":
			proto := "tcp"
			if flag == "-u" || flag == "--udp-ports" {
				proto = "udp"
			}
			fws, err := parsePastaSpec(proto, value)
			if err != nil {
				return nil, err
			}
			if out = append(out, fws...); len(out) > maxPastaForwards {
				return nil, fmt.Errorf("pasta arguments: more than %d forwarded ports", maxPastaForwards)
			}
		case "--netns":
			netns = value
			if !strings.Contains(value, "/") {
				netns = "/run/netns/" + value
			}
		}
	}
	for i := range out {
		out[i].Netns = netns
	}
	sortForwards(out)
	return out, nil
}

// parsePastaSpec reads one -t or -u SPEC.
func parsePastaSpec(proto, spec string) ([]Forward, error) {
	switch spec {
	case "none", "auto", "all":
		return nil, nil
	}
	bad := func(why string) error { return fmt.Errorf("pasta arguments: port spec %q: %s", spec, why) }
	var host netip.Addr
	ports := spec
	if addr, rest, ok := strings.Cut(spec, "/"); ok {
		addr, _, _ = strings.Cut(addr, "%") // an interface after the address
		if addr != "" {
			var err error
			if host, err = netip.ParseAddr(addr); err != nil {
				return nil, bad("the address is not an address")
			}
		}
		ports = rest
	}
	var out []Forward
	for _, item := range strings.Split(ports, ",") {
		if strings.HasPrefix(item, "~") {
			continue
		}
		from, to, hasTarget := strings.Cut(item, ":")
		lo, hi, err := parsePortRange(from)
		if err != nil {
			return nil, bad(err.Error())
		}
		tlo := lo
		if hasTarget {
			var thi uint16
			if tlo, thi, err = parsePortRange(to); err != nil {
				return nil, bad(err.Error())
			}
			if thi-tlo != hi-lo {
				return nil, bad("the target range is not as long as the forwarded one")
			}
		}
		if int(hi-lo) >= maxPortRange {
			return nil, bad("a range of more than " + strconv.Itoa(maxPortRange) + " ports")
		}
		for p := 0; p <= int(hi-lo); p++ {
			out = append(out, Forward{Proto: proto, HostIP: host, HostPort: lo + uint16(p), ContainerPort: tlo + uint16(p)})
		}
	}
	return out, nil
}

// parsePortRange reads N or N-M, ports 1 to 65535 with N <= M.
func parsePortRange(s string) (lo, hi uint16, err error) {
	lo, hi, ok := portrange.Parse(s)
	if !ok || lo == 0 {
		return 0, 0, fmt.Errorf("%q is not a port or a range of ports", s)
	}
	return lo, hi, nil
}

// isDigits reports whether s is a non-empty run of decimal digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// CompletePasta fills in what a forward read from pasta's command line
// (ParsePastaArgs) does not say: the inode of its namespace, whose file
// is looked up as pasta, the process pid, sees it (rootless podman mounts
// it in the user's own mount namespace), and the container whose records
// give that namespace, else the record publishing the same host port.
func (n *Namer) CompletePasta(f Forward, pid int) Forward {
	if f.Netns != "" {
		if ino := nsInode(filepath.Join(n.root, f.Netns)); ino != 0 {
			f.NetnsInode = ino
		} else if pid > 0 {
			seen := filepath.Join("/proc", strconv.Itoa(pid), "root", f.Netns)
			if ino := nsInode(filepath.Join(n.root, seen)); ino != 0 {
				f.Netns, f.NetnsInode = seen, ino
			}
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.readForwards()
	if f.NetnsInode != 0 {
		for _, box := range n.sandboxes {
			if box.NetnsInode == f.NetnsInode {
				f.Container = box.Container
				return f
			}
		}
	}
	for _, r := range n.forwards {
		if r.Proto == f.Proto && r.HostPort == f.HostPort && r.ContainerPort == f.ContainerPort {
			f.Container = r.Container
			if f.NetnsInode == 0 {
				f.Netns, f.NetnsInode = r.Netns, r.NetnsInode
			}
			return f
		}
	}
	return f
}
