package collector

import "testing"

func TestParseSockstat(t *testing.T) {
	v4 := "sockets: used 54014\nTCP: inuse 54004 orphan 0 tw 27027 alloc 54010 mem 256\nUDP: inuse 12 mem 0\nUDPLITE: inuse 0\nRAW: inuse 0\n"
	v6 := "TCP6: inuse 7\nUDP6: inuse 3\nUDPLITE6: inuse 0\n"
	tcp, udp := parseSockstat([]byte(v4 + v6))
	if tcp != 54010+27027 || udp != 15 {
		t.Errorf("parseSockstat = %d, %d; want %d, 15 (alloc already counts TCP6)", tcp, udp, 54010+27027)
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
