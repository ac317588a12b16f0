package main

import (
	"encoding/json"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// infoPair opens a loopback connection and moves up bytes from the client
// and down bytes back, read whole at each end; it returns the listener's
// port and the client's local port.
func infoPair(t *testing.T, up, down int64) (port, clientPort int) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	done := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(done)
			return
		}
		io.CopyN(io.Discard, c, up)
		c.Write(make([]byte, down))
		done <- c
	}()
	client, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	client.Write(make([]byte, up))
	if _, err := io.CopyN(io.Discard, client, down); err != nil {
		t.Fatal(err)
	}
	server := <-done
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { server.Close() })
	return ln.Addr().(*net.TCPAddr).Port, client.LocalAddr().(*net.TCPAddr).Port
}

// TestInfo: -i on a real loopback connection that moved known bytes
// shows them, in JSON (tcp_info, mem) and on the table's second line; the
// procfs source says it has none; -i with --replay, and watch's live view
// with -i, are refused; watch --json -i streams internals.
func TestInfo(t *testing.T) {
	const up, down = 250_000, 60_000
	port, clientPort := infoPair(t, up, down)
	// Only this test's three sockets: IPv4, open, on the pair's port. A
	// TIME_WAIT another test left with the same port number (on ::1, or
	// from before this listener took the port) has no internals.
	ours := []string{"-4", "--state", "established,listen", "--port", strconv.Itoa(port)}
	r := runCmd(t, exec.Command(binPath, append([]string{"-tani", "--json"}, ours...)...))
	var snap struct {
		Sockets []struct {
			LocalPort int `json:"local_port"`
			State     string
			TCPInfo   *struct {
				RTT           uint64 `json:"rtt_us"`
				Cwnd          uint64 `json:"cwnd"`
				RTO           uint64 `json:"rto_us"`
				SndWnd        uint64 `json:"snd_wnd"`
				BytesAcked    uint64 `json:"bytes_acked"`
				BytesSent     uint64 `json:"bytes_sent"`
				BytesReceived uint64 `json:"bytes_received"`
				Cong          string `json:"cong"`
			} `json:"tcp_info"`
			Mem *struct {
				RcvBuf uint64 `json:"rcvbuf"`
			} `json:"mem"`
		} `json:"sockets"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &snap); r.code != 0 || err != nil {
		t.Fatalf("-tani --json: exit %d, %v: %s%s", r.code, err, r.stdout, r.stderr)
	}
	client := false
	for _, s := range snap.Sockets {
		ti := s.TCPInfo
		if ti == nil || s.Mem == nil || s.Mem.RcvBuf == 0 || ti.Cong == "" || ti.Cwnd == 0 {
			t.Errorf("port %d %s: tcp_info %+v, mem %+v", s.LocalPort, s.State, ti, s.Mem)
			continue
		}
		if s.LocalPort == clientPort {
			client = true
			// Linux's smallest RTO is 200 ms; the window is the server's.
			if ti.BytesAcked < up || ti.BytesSent < up || ti.BytesReceived < down || ti.RTT == 0 || ti.RTO < 200_000 || ti.SndWnd == 0 {
				t.Errorf("the client's tcp_info %+v: want at least %d acked and sent, %d received, an rtt, an rto, a send window", ti, up, down)
			}
		}
	}
	if !client {
		t.Fatalf("no client socket on port %d: %s", clientPort, r.stdout)
	}

	r = runCmd(t, exec.Command(binPath, append([]string{"-tani"}, ours...)...))
	if r.code != 0 || strings.Count(r.stdout, " mem r:") != 3 || !strings.Contains(r.stdout, " rtt:") || !strings.Contains(r.stdout, " cwnd:") {
		t.Errorf("table: exit %d, want a second line with rtt, cwnd and mem under each of the 3 sockets:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCmd(t, exec.Command(binPath, append([]string{"-tani", "--source", "procfs"}, ours...)...))
	if r.code != 0 || strings.Count(r.stderr, "netlink sock_diag") != 1 || strings.Contains(r.stdout, "rtt:") {
		t.Errorf("--source procfs -i: exit %d, want one warning that internals need netlink and none shown:\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, args := range [][]string{{"-i", "--replay", "/dev/null"}} {
		if r := runCmd(t, exec.Command(binPath, args...)); r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, want 2 with one line: %s", args, r.code, r.stderr)
		}
	}
	r = runCmd(t, exec.Command(binPath, append([]string{"watch", "--json", "-i", "-tan", "--count", "1"}, ours...)...))
	if r.code != 0 || strings.Count(r.stdout, `"tcp_info":{`) != 3 {
		t.Errorf("watch --json -i: exit %d, want 3 events with tcp_info:\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestWatchInfoBytes: watch --json --info reports the bytes a connection
// moves between refreshes as changed events whose deltas add up to what
// was sent after the first refresh, on both ends.
func TestWatchInfoBytes(t *testing.T) {
	const moved = 123_456
	p := newClosePair(t)
	client, server := p.client, p.server
	port, clientPort := strconv.Itoa(p.port), p.local

	// The pair's own sockets (see TestInfo).
	cmd := exec.Command(binPath, "watch", "--json", "-i", "-tan", "-4", "--state", "established,listen", "--port", port, "--interval", "100ms", "--count", "12")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	dec := json.NewDecoder(stdout)
	type event struct {
		Event  string `json:"event"`
		Socket struct {
			LocalPort int `json:"local_port"`
		} `json:"socket"`
		Changes struct {
			Bytes *struct {
				Sent     uint64 `json:"sent"`
				Received uint64 `json:"received"`
			} `json:"bytes"`
		} `json:"changes"`
	}
	for added := 0; added < 3; {
		var ev event
		if err := dec.Decode(&ev); err != nil {
			t.Fatalf("the first refresh's events: %v", err)
		}
		if ev.Event == "added" {
			added++
		}
	}
	go func() {
		client.Write(make([]byte, moved))
	}()
	buf := make([]byte, 64<<10)
	for got := 0; got < moved; {
		n, err := server.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got += n
	}
	var sent, received uint64
	for {
		var ev event
		if err := dec.Decode(&ev); err != nil {
			break
		}
		if ev.Event != "changed" || ev.Changes.Bytes == nil {
			continue
		}
		switch ev.Socket.LocalPort {
		case clientPort:
			sent += ev.Changes.Bytes.Sent
		default:
			received += ev.Changes.Bytes.Received
		}
	}
	if sent != moved || received != moved {
		t.Errorf("deltas: the client sent %d, the server received %d; want %d each", sent, received, moved)
	}
}
