package collector

import "testing"

func TestParseSockstat(t *testing.T) {
	v4 := "sockets: used 54014\nTCP: inuse 54004 orphan 0 tw 27027 alloc 54010 mem 256\nUDP: inuse 12 mem 0\nUDPLITE: inuse 0\nRAW: inuse 0\n"
	v6 := "TCP6: inuse 7\nUDP6: inuse 3\nUDPLITE6: inuse 0\n"
	tcp, udp := parseSockstat([]byte(v4 + v6))
	if tcp != 54004+27027+7 || udp != 15 {
		t.Errorf("parseSockstat = %d, %d; want %d, 15 (inuse of both families and tw)", tcp, udp, 54004+27027+7)
	}
	// Inside a container on a busy host: alloc counts the host's sockets,
	// inuse and tw only the namespace's.
	container := "sockets: used 900000\nTCP: inuse 3 orphan 0 tw 1 alloc 500000 mem 90000\nUDP: inuse 2 mem 0\n"
	if tcp, udp := parseSockstat([]byte(container + "TCP6: inuse 2\nUDP6: inuse 0\n")); tcp != 6 || udp != 2 {
		t.Errorf("a container's sockstat = %d, %d; want 6, 2 (alloc is host-wide)", tcp, udp)
	}
	if tcp, udp := parseSockstat([]byte(v6)); tcp != 7 || udp != 3 {
		t.Errorf("sockstat6 alone = %d, %d", tcp, udp)
	}
	for _, junk := range []string{"", "TCP:", "TCP: inuse", "TCP: inuse x tw -1", "\n\n:", "TCP: tw 99999999999999999999999"} {
		if tcp, udp := parseSockstat([]byte(junk)); tcp < 0 || udp < 0 || tcp > 1<<41 {
			t.Errorf("parseSockstat(%q) = %d, %d", junk, tcp, udp)
		}
	}
}
