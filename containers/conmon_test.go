package containers

import (
	"strings"
	"testing"
)

// conmon's command line as podman starts it, and as CRI-O does.
func TestParseConmonArgs(t *testing.T) {
	podman := "--api-version 1 -c " + dbID + " -u " + dbID + " -r /usr/bin/runc -b /var/lib/containers/storage/overlay-containers/" +
		dbID + "/userdata -p /run/pidfile -n db --exit-dir /run/libpod/exits --full-attach -l k8s-file:/x/ctr.log"
	crio := "-b /run/containers/storage/overlay-containers/" + podID + "/userdata --cid=" + podID + " --name=k8s_api_web-7d9f_prod_uid_0 -r /usr/bin/runc"
	for _, c := range []struct {
		args string
		want Info
	}{
		{podman, Info{Runtime: "podman", ID: dbID, Name: "db"}},
		{crio, Info{Runtime: "podman", ID: podID, Name: "k8s_api_web-7d9f_prod_uid_0"}},
	} {
		if got, err := ParseConmonArgs(strings.Fields(c.args)); err != nil || got != c.want {
			t.Errorf("ParseConmonArgs(%s) = %+v, %v; want %+v", c.args, got, err, c.want)
		}
	}
	for _, c := range []struct{ args, names string }{
		{"--api-version 1 -n db", `id ""`},
		{"-c abc", `"abc"`},
		{"-n db -c", "-c has no value"},
	} {
		if _, err := ParseConmonArgs(strings.Fields(c.args)); err == nil || !strings.Contains(err.Error(), c.names) {
			t.Errorf("ParseConmonArgs(%q): error %v, want one naming %s", c.args, err, c.names)
		}
	}
}

func FuzzParseConmonArgs(f *testing.F) {
	f.Add("--api-version 1 -c " + dbID + " -n db")
	f.Add("--cid=" + podID + " --name=x -c")
	f.Fuzz(func(t *testing.T, line string) {
		info, err := ParseConmonArgs(strings.Split(line, " "))
		if err == nil && (!isID(info.ID) || info.Runtime != "podman") {
			t.Fatalf("accepted %+v from %q", info, line)
		}
	})
}

// podman's state gives the container's PID, 0 for a stopped one or a
// state that does not parse.
func TestPodmanStatePID(t *testing.T) {
	for state, want := range map[string]int{`{"state":3,"pid":4242,"netNS":""}`: 4242, `{"state":4}`: 0, `{"pid":-1}`: 0, `nonsense`: 0, ``: 0} {
		if got := podmanStatePID([]byte(state)); got != want {
			t.Errorf("podmanStatePID(%q) = %d, want %d", state, got, want)
		}
	}
}
