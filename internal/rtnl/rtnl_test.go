package rtnl

import (
	"encoding/binary"
	"testing"
)

// message builds a netlink message of type typ and seq around body.
func message(typ uint16, seq uint32, body []byte) []byte {
	b := AppendRequest(nil, typ, seq, body)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func attr(typ uint16, val []byte) []byte { return AppendAttr(nil, typ, val) }

func TestParseMessages(t *testing.T) {
	var dgram []byte
	dgram = append(dgram, message(16, 7, []byte{1, 2, 3})...)
	dgram = append(dgram, message(16, 8, []byte{9})...) // another dump's
	dgram = append(dgram, message(20, 7, []byte{4, 5, 6, 7})...)
	dgram = append(dgram, message(nlmsgDone, 7, []byte{0, 0, 0, 0})...)
	msgs, done, err := ParseMessages(dgram, 7)
	if err != nil || !done || len(msgs) != 2 || msgs[0].Type != 16 || len(msgs[0].Body) != 3 || msgs[1].Type != 20 {
		t.Fatalf("msgs %+v done %v err %v", msgs, done, err)
	}
	errMsg := message(nlmsgError, 7, binary.NativeEndian.AppendUint32(nil, uint32(int32ToU32(-13))))
	if _, _, err := ParseMessages(errMsg, 7); err != Errno(13) {
		t.Errorf("error message: %v", err)
	}
	for _, bad := range [][]byte{{1, 2, 3}, message(16, 7, nil)[:12], append(binary.NativeEndian.AppendUint32(nil, 999), make([]byte, 12)...)} {
		if _, _, err := ParseMessages(bad, 7); err == nil {
			t.Errorf("%x: no error", bad)
		}
	}
}

func TestAttrs(t *testing.T) {
	b := append(attr(3, []byte("eth0\x00")), attr(0x8000|7, []byte{1, 2, 3, 4})...)
	b = append(b, 0xff, 0x00, 1, 0) // a malformed one ends them
	var got []uint16
	Attrs(b, func(typ uint16, val []byte) bool {
		got = append(got, typ)
		return true
	})
	if len(got) != 2 || got[0] != 3 || got[1] != 7 {
		t.Errorf("attributes %v, want 3 and 7 (the nested flag off)", got)
	}
}

func FuzzParseMessages(f *testing.F) {
	f.Add(append(message(16, 7, []byte{1, 2, 3}), message(nlmsgDone, 7, []byte{0, 0, 0, 0})...))
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, _, _ := ParseMessages(b, 7)
		for _, m := range msgs {
			Attrs(m.Body, func(uint16, []byte) bool { return true })
		}
	})
}

func int32ToU32(v int32) uint32 { return uint32(v) }
