package collector

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/portwatch/portwatch/internal/testenv"
)

// Ending a real loopback connection: the kernel acknowledges, the client
// end's next read fails (aborted), the server end gets a reset, the
// socket is gone from the next dump, and ending it again says it is gone.
func TestDestroyLoopback(t *testing.T) {
	testenv.NeedRoot(t, "end a socket (CAP_NET_ADMIN)")
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server := <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	defer server.Close()

	local := addrPortOf(t, client.LocalAddr())
	find := func() *Socket {
		socks := mustCollect(t, Options{Source: SourceNetlink, Cookies: true, Protos: []Proto{ProtoTCP}, Families: []Family{FamilyIPv4},
			Filter: Filter{States: AllStates, LocalPort: local.Port()}})
		for i := range socks {
			if socks[i].Local == local && socks[i].State == StateEstablished {
				return &socks[i]
			}
		}
		return nil
	}
	s := find()
	if s == nil {
		t.Fatal("the client's socket is not in the dump")
	}
	if errs := Destroy([]Socket{*s}, nil); errs[0] != nil {
		t.Fatalf("Destroy: %v", errs[0])
	}
	client.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := client.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNABORTED) {
		t.Errorf("the client's read after Destroy: %v, want ECONNABORTED", err)
	}
	server.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := server.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("the server's read: %v, want ECONNRESET (the reset)", err)
	}
	if again := find(); again != nil {
		t.Errorf("the socket is still there: %+v", again)
	}
	if errs := Destroy([]Socket{*s}, nil); !errors.Is(errs[0], ErrDestroyGone) {
		t.Errorf("ending it again: %v, want ErrDestroyGone", errs[0])
	}
	udp := Socket{Proto: ProtoUDP, Family: FamilyIPv4, Local: local, Cookie: 1}
	if errs := Destroy([]Socket{udp}, nil); errs[0] == nil {
		t.Error("a UDP socket: no error")
	}
}
