package collector

import (
	"testing"
	"unsafe"
)

// A Socket stays at 144 bytes on 64-bit systems: the small fields share
// one word, and a host with a million sockets holds a million of them.
func TestSocketSize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the bound is for 64-bit systems")
	}
	if n := unsafe.Sizeof(Socket{}); n > 144 {
		t.Errorf("Socket is %d bytes, want at most 144: order its fields so that the small ones share a word", n)
	}
}

// Every reason's name parses back to the reason; a name that is none does
// not parse.
func TestOwnerUnknownNames(t *testing.T) {
	want := map[OwnerUnknown]string{OwnerKnown: "", OwnerPermission: "permission", OwnerExited: "exited",
		OwnerKernel: "kernel", OwnerOtherNetns: "other-netns", OwnerUnsupported: "unsupported"}
	for u, name := range want {
		if u.String() != name {
			t.Errorf("%d.String() = %q, want %q", u, u.String(), name)
		}
		if got, ok := ParseOwnerUnknown(name); !ok || got != u {
			t.Errorf("ParseOwnerUnknown(%q) = %d, %v; want %d", name, got, ok, u)
		}
	}
	for _, name := range []string{"Kernel", "unknown-200", " exited", "odd\n"} {
		if u, ok := ParseOwnerUnknown(name); ok {
			t.Errorf("ParseOwnerUnknown(%q) = %d, want none", name, u)
		}
	}
	if s := OwnerUnknown(200).String(); s != "unknown-200" {
		t.Errorf("an unnamed reason is %q", s)
	}
}
