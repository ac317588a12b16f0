package render

import (
	"bytes"
	"encoding/json"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/portwatch/portwatch/netif"
)

func interfacesSample() *netif.Snapshot {
	return &netif.Snapshot{Time: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC), Interfaces: []netif.Interface{
		{Index: 1, Name: "lo", MTU: 65536, State: "UNKNOWN", Flags: net.FlagUp | net.FlagLoopback,
			Addrs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/8")}, HasStats: true, Stats: netif.Stats{RxPackets: 5, TxPackets: 5, RxBytes: 500, TxBytes: 500}},
		{Index: 7, Name: "evil\x1b[2J", MTU: 1500, State: "DOWN"},
	}}
}

func TestInterfacesText(t *testing.T) {
	var buf bytes.Buffer
	if err := InterfacesText(&buf, interfacesSample().Interfaces); err != nil {
		t.Fatal(err)
	}
	want := "Iface          MTU  State    RX-OK  RX-ERR  RX-DRP  RX-Bytes  TX-OK  TX-ERR  TX-DRP  TX-Bytes  Addresses\n" +
		"lo           65536  UNKNOWN      5       0       0       500      5       0       0       500  127.0.0.1/8\n" +
		"evil\\x1b[2J   1500  DOWN         -       -       -         -      -       -       -         -  -\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestInterfacesJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := InterfacesJSON(&buf, interfacesSample()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Interfaces []struct {
			Name      string
			Flags     string
			Addresses []string
			Stats     map[string]uint64
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if len(doc.Interfaces) != 2 || doc.Interfaces[0].Stats["rx_bytes"] != 500 || doc.Interfaces[0].Flags != "up|loopback" ||
		doc.Interfaces[1].Name != "evil\x1b[2J" || doc.Interfaces[1].Stats != nil {
		t.Errorf("%+v", doc)
	}
}
