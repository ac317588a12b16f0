package render

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/portwatch/portwatch/collector"
)

// wireSocket is one socket of a JSON snapshot. The derived fields (user,
// local_service, remote_service, pid, process) are not read.
type wireSocket struct {
	Proto        string      `json:"proto"`
	Family       string      `json:"family"`
	LocalAddr    string      `json:"local_addr"`
	LocalPort    int64       `json:"local_port"`
	RemoteAddr   string      `json:"remote_addr"`
	RemotePort   int64       `json:"remote_port"`
	State        string      `json:"state"`
	UID          *int64      `json:"uid"`
	Inode        uint64      `json:"inode"`
	RecvQ        int64       `json:"recv_q"`
	SendQ        int64       `json:"send_q"`
	Owners       []wireOwner `json:"owners"`
	OwnerUnknown string      `json:"owner_unknown"`
	Netns        uint64      `json:"netns"`
	NetnsName    string      `json:"netns_name"`
}

// wireNetns is one entry of the top-level namespaces list.
type wireNetns struct {
	Netns     uint64 `json:"netns"`
	NetnsName string `json:"netns_name"`
}

type wireOwner struct {
	PID     int64  `json:"pid"`
	Process string `json:"process"`
	FD      *int64 `json:"fd"`
}

// ReadJSON reads a snapshot that JSON wrote (schema version 1), for --replay
// and tests. It checks what it reads and returns an error, never panics, on
// malformed input: a missing or other version, unknown proto, family, state
// or owner_unknown strings, bad addresses or an address of the wrong family,
// ports above 65535, out-of-range numbers, or data after the object.
//
// Fields derived from others (user, local_service, remote_service, pid,
// process) are ignored, as are unknown fields. An IPv4 address in an ipv6
// socket is read back as the IPv4-mapped IPv6 address the kernel reports, so
// ReadJSON(JSON(snap)) gives back snap. An empty address means the zero
// netip.AddrPort. A state name that two states share (CLOSE, SYN_RECV) reads
// as the lower-numbered state. A missing uid means -1 and a missing fd -1.
// Empty owners and warnings read as nil.
func ReadJSON(r io.Reader) (*collector.Snapshot, error) {
	snap, err := readJSON(r)
	if ev, ok := err.(errVersion); ok {
		return nil, ev
	}
	if err != nil {
		return nil, fmt.Errorf("read snapshot: %w", err)
	}
	return snap, nil
}

// errVersion is returned as is, without ReadJSON's prefix.
type errVersion struct{ v int64 }

func (e errVersion) Error() string {
	return fmt.Sprintf("unsupported snapshot version %d (this portwatch reads version %d)", e.v, schemaVersion)
}

// readJSON walks the top-level object with a streaming decoder, so the
// sockets are scanned once and a wrong version is reported before the
// sockets are decoded (the version comes first in what JSON writes).
func readJSON(r io.Reader) (*collector.Snapshot, error) {
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	if err == io.EOF {
		return nil, errors.New("empty input: not a portwatch JSON snapshot")
	}
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('{') {
		return nil, fmt.Errorf("not a portwatch JSON snapshot: want an object, got %v", tokenString(tok))
	}
	var (
		snap      = &collector.Snapshot{}
		version   *int64
		timeStr   string
		sourceStr string
		wsocks    []wireSocket
		wnetns    []wireNetns
	)
	checkVersion := func() error {
		if version != nil && *version != schemaVersion {
			return errVersion{*version}
		}
		return nil
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, unexpectedEOF(err)
		}
		key, _ := tok.(string)
		switch key {
		case "version":
			version = new(int64)
			err = dec.Decode(version)
			if err == nil {
				err = checkVersion()
			}
		case "time":
			err = dec.Decode(&timeStr)
		case "host":
			err = dec.Decode(&snap.Host)
		case "source":
			err = dec.Decode(&sourceStr)
		case "warnings":
			err = dec.Decode(&snap.Warnings)
		case "sockets":
			wsocks, err = decodeSockets(dec, wsocks[:0])
		case "namespaces":
			err = dec.Decode(&wnetns)
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			if ev, ok := err.(errVersion); ok {
				return nil, ev
			}
			return nil, fmt.Errorf("%s: %w", key, err)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, unexpectedEOF(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			return nil, err
		}
		return nil, errors.New("unexpected data after the snapshot object")
	}
	if version == nil {
		return nil, errors.New("no \"version\" field: not a portwatch JSON snapshot")
	}
	if err := checkVersion(); err != nil {
		return nil, err
	}
	snap.Source = collector.Source(sourceStr)
	if timeStr != "" {
		t, err := time.Parse(time.RFC3339Nano, timeStr)
		if err != nil {
			return nil, fmt.Errorf("bad time %q: want RFC 3339", timeStr)
		}
		t = t.UTC()
		if y := t.Year(); y < 0 || y > 9999 {
			return nil, fmt.Errorf("time %q is outside years 0-9999 in UTC", timeStr)
		}
		snap.Time = t
	}
	if len(snap.Warnings) == 0 {
		snap.Warnings = nil
	}
	// JSON does not say which warnings lost something: any may have.
	snap.Incomplete = len(snap.Warnings) > 0
	if len(wsocks) > 0 {
		snap.Sockets = make([]collector.Socket, len(wsocks))
	}
	for i := range wsocks {
		if err := wsocks[i].decode(&snap.Sockets[i]); err != nil {
			return nil, fmt.Errorf("sockets[%d]: %w", i, err)
		}
	}
	snap.Namespaces, err = decodeNamespaces(wnetns, wsocks)
	if err != nil {
		return nil, err
	}
	return snap, nil
}

// decodeNamespaces rebuilds a snapshot's Namespaces: the top-level list,
// then any namespace a socket names that the list lacks (an older writer,
// or a hand-made file). A namespace of inode 0 is an error.
func decodeNamespaces(list []wireNetns, wsocks []wireSocket) ([]collector.Netns, error) {
	var out []collector.Netns
	seen := map[uint64]bool{}
	for i, n := range list {
		if n.Netns == 0 {
			return nil, fmt.Errorf("namespaces[%d]: netns 0 is not a namespace", i)
		}
		if !seen[n.Netns] {
			seen[n.Netns] = true
			out = append(out, collector.Netns{Inode: n.Netns, Name: n.NetnsName})
		}
	}
	for i := range wsocks {
		if ino := wsocks[i].Netns; ino != 0 && !seen[ino] {
			seen[ino] = true
			out = append(out, collector.Netns{Inode: ino, Name: wsocks[i].NetnsName})
		}
	}
	return out, nil
}

// unexpectedEOF turns io.EOF inside the object into io.ErrUnexpectedEOF.
func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// decodeSockets decodes the sockets array (or null) one element at a time.
func decodeSockets(dec *json.Decoder, wsocks []wireSocket) ([]wireSocket, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if tok == nil {
		return wsocks, nil
	}
	if tok != json.Delim('[') {
		return nil, fmt.Errorf("want an array, got %v", tokenString(tok))
	}
	for dec.More() {
		wsocks = append(wsocks, wireSocket{})
		if err := dec.Decode(&wsocks[len(wsocks)-1]); err != nil {
			return nil, fmt.Errorf("[%d]: %w", len(wsocks)-1, err)
		}
	}
	_, err = dec.Token() // the closing bracket
	return wsocks, err
}

// tokenString describes a JSON token for an error message.
func tokenString(tok json.Token) string {
	switch t := tok.(type) {
	case nil:
		return "null"
	case json.Delim:
		return string(t)
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprint(tok)
}

// decode checks ws and fills s.
func (ws *wireSocket) decode(s *collector.Socket) error {
	var err error
	if s.Proto, err = collector.ParseProto(ws.Proto); err != nil {
		return err
	}
	if s.Family, err = collector.ParseFamily(ws.Family); err != nil {
		return err
	}
	if s.Local, err = decodeAddrPort("local", ws.LocalAddr, ws.LocalPort, s.Family); err != nil {
		return err
	}
	if s.Remote, err = decodeAddrPort("remote", ws.RemoteAddr, ws.RemotePort, s.Family); err != nil {
		return err
	}
	if s.State, err = parseState(s.Proto, ws.State); err != nil {
		return err
	}
	s.UID = -1
	if ws.UID != nil {
		if *ws.UID < -1 || *ws.UID > math.MaxUint32 {
			return fmt.Errorf("uid %d out of range (-1 for unknown, 0-4294967295)", *ws.UID)
		}
		s.UID = int(*ws.UID)
	}
	s.Inode = ws.Inode
	s.Netns = ws.Netns
	if s.RecvQ, err = decodeQueue("recv_q", ws.RecvQ); err != nil {
		return err
	}
	if s.SendQ, err = decodeQueue("send_q", ws.SendQ); err != nil {
		return err
	}
	if len(ws.Owners) > 0 {
		s.Owners = make([]collector.Owner, len(ws.Owners))
	}
	for j, wo := range ws.Owners {
		if wo.PID < 0 || wo.PID > math.MaxInt32 {
			return fmt.Errorf("owners[%d]: pid %d out of range (0-2147483647)", j, wo.PID)
		}
		fd := int64(-1)
		if wo.FD != nil {
			fd = *wo.FD
		}
		if fd < -1 || fd > math.MaxInt32 {
			return fmt.Errorf("owners[%d]: fd %d out of range (-1 for unknown, 0-2147483647)", j, fd)
		}
		s.Owners[j] = collector.Owner{PID: int(wo.PID), Process: wo.Process, FD: int(fd)}
	}
	u, ok := collector.ParseOwnerUnknown(ws.OwnerUnknown)
	if !ok {
		return fmt.Errorf("unknown owner_unknown %q (accepted: \"\", permission, exited, kernel, other-netns, unsupported)", ws.OwnerUnknown)
	}
	s.OwnerUnknown = u
	return nil
}

// decodeAddrPort checks one address and port of a socket of family fam.
func decodeAddrPort(which, addr string, port int64, fam collector.Family) (netip.AddrPort, error) {
	if port < 0 || port > math.MaxUint16 {
		return netip.AddrPort{}, fmt.Errorf("%s_port %d out of range (0-65535)", which, port)
	}
	if addr == "" {
		if port != 0 {
			return netip.AddrPort{}, fmt.Errorf("%s_port %d without a %s_addr", which, port, which)
		}
		return netip.AddrPort{}, nil
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("bad %s_addr %q: not an IP address", which, addr)
	}
	switch fam {
	case collector.FamilyIPv4:
		if a.Is4In6() && a.Zone() == "" {
			a = a.Unmap()
		}
		if !a.Is4() {
			return netip.AddrPort{}, fmt.Errorf("%s_addr %q is not an IPv4 address, but family is ipv4", which, addr)
		}
	case collector.FamilyIPv6:
		if a.Is4() {
			a = netip.AddrFrom16(a.As16())
		} else if a.Is4In6() && a.Zone() != "" {
			return netip.AddrPort{}, fmt.Errorf("bad %s_addr %q: zone on an IPv4-mapped address", which, addr)
		}
	}
	return netip.AddrPortFrom(a, uint16(port)), nil
}

// decodeQueue checks a queue length.
func decodeQueue(which string, v int64) (uint32, error) {
	if v < 0 || v > math.MaxUint32 {
		return 0, fmt.Errorf("%s %d out of range (0-4294967295)", which, v)
	}
	return uint32(v), nil
}

// stateNames holds, per protocol, its state names, upper case, with the
// lowest-numbered state of each name (byName), and the names listed for
// errors (list).
type stateNames struct {
	byName map[string]collector.State
	list   string
}

// stateNamesOf returns the stateNames of TCP (index 0) and UDP (1), made
// on first use.
var stateNamesOf = sync.OnceValue(func() (out [2]stateNames) {
	for i, p := range []collector.Proto{collector.ProtoTCP, collector.ProtoUDP} {
		m := map[string]collector.State{}
		var names []string
		for s := 0; s < 256; s++ {
			st := collector.State(s)
			if strings.HasPrefix(st.String(), "STATE(") {
				break
			}
			name := collector.StateName(p, st)
			if _, ok := m[name]; !ok {
				m[name] = st
				names = append(names, name)
			}
		}
		sort.Strings(names)
		out[i] = stateNames{byName: m, list: strings.Join(names, ", ")}
	}
	return out
})

// stateNamesFor is the stateNames of proto p; any protocol but UDP has
// TCP's.
func stateNamesFor(p collector.Proto) *stateNames {
	all := stateNamesOf()
	if p == collector.ProtoUDP {
		return &all[1]
	}
	return &all[0]
}

// parseState parses a state name as StateName writes it for proto, in any
// case.
func parseState(p collector.Proto, name string) (collector.State, error) {
	names := stateNamesFor(p)
	if s, ok := names.byName[strings.ToUpper(name)]; ok {
		return s, nil
	}
	return 0, fmt.Errorf("unknown %s state %q (accepted: %s)", p, name, names.list)
}
