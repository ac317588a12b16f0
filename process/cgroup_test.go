package process

import (
	"strings"
	"testing"
)

const (
	hexA = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	hexB = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	podU = "pod8d8a3f2e-8f2b-4b8e-9b8f-0a1b2c3d4e5f"
)

func TestUnitAndContainer(t *testing.T) {
	cases := []struct {
		path     string
		unit     string
		userUnit bool
		c        Container
	}{
		// Outside any unit or container.
		{"", "", false, Container{}},
		{"/", "", false, Container{}},
		{"/system.slice", "", false, Container{}},
		{"/process_api/10be18ba2323c356c6d6fff460fb9e32", "", false, Container{}},

		// System units.
		{"/system.slice/nginx.service", "nginx.service", false, Container{}},
		{"/system.slice/foo.service/sub", "foo.service", false, Container{}},
		{"/system.slice/foo.service/a.service", "foo.service", false, Container{}},
		{"/init.scope", "init.scope", false, Container{}},
		{"/portwatch-test-12.service", "portwatch-test-12.service", false, Container{}},
		{"/system.slice/system-getty.slice/getty@tty1.service", "getty@tty1.service", false, Container{}},
		{`/system.slice/system-systemd\x2dfsck.slice/systemd-fsck@dev-disk-by\x2duuid-1234.service`, `systemd-fsck@dev-disk-by\x2duuid-1234.service`, false, Container{}},
		{"/system.slice/cups.socket", "cups.socket", false, Container{}},
		{"/system.slice/home.mount", "home.mount", false, Container{}},
		{"/system.slice/dev-sda2.swap", "dev-sda2.swap", false, Container{}},
		{"/user.slice/user-1000.slice/session-3.scope", "session-3.scope", false, Container{}},
		{"/.service", "", false, Container{}},        // no name before the suffix
		{"/foo/bar.service", "", false, Container{}}, // not under slices

		// A user's systemd.
		{"/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service", "foo.service", true, Container{}},
		{"/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-1234.scope", "app-gnome-firefox-1234.scope", true, Container{}},
		{"/user.slice/user-1000.slice/user@1000.service/session.slice/pipewire.service", "pipewire.service", true, Container{}},
		{"/user.slice/user-1000.slice/user@1000.service/init.scope", "user@1000.service", false, Container{}},
		{"/user.slice/user-1000.slice/user@1000.service", "user@1000.service", false, Container{}},
		{"/user.slice/user-1000.slice/user@1000.service/app.slice", "user@1000.service", false, Container{}},
		{"/user.slice/user-1000.slice/user-runtime-dir@1000.service", "user-runtime-dir@1000.service", false, Container{}},

		// docker.
		{"/docker/" + hexA, "", false, Container{"docker", hexA}},
		{"/docker/" + hexA + "/init.scope", "", false, Container{"docker", hexA}},
		{"/system.slice/docker-" + hexA + ".scope", "docker-" + hexA + ".scope", false, Container{"docker", hexA}},
		{"/system.slice/docker-" + hexA + ".scope/system.slice/nginx.service", "docker-" + hexA + ".scope", false, Container{"docker", hexA}},
		{"/system.slice/docker.service", "docker.service", false, Container{}}, // the daemon
		{"/docker/notanid", "", false, Container{}},
		{"/docker/" + strings.ToUpper(hexA), "", false, Container{}},
		{"/docker/" + hexA[:63], "", false, Container{}},
		{"/system.slice/docker-compose.scope", "docker-compose.scope", false, Container{}},
		// Nested: the outermost is the one the host lists.
		{"/docker/" + hexA + "/docker/" + hexB, "", false, Container{"docker", hexA}},
		{"/system.slice/docker-" + hexA + ".scope/docker/" + hexB, "docker-" + hexA + ".scope", false, Container{"docker", hexA}},

		// Kubernetes.
		{"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-" + podU + ".slice/cri-containerd-" + hexA + ".scope", "cri-containerd-" + hexA + ".scope", false, Container{"containerd", hexA}},
		{"/kubepods.slice/kubepods-" + podU + ".slice/crio-" + hexA + ".scope", "crio-" + hexA + ".scope", false, Container{"cri-o", hexA}},
		{"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-" + podU + ".slice/docker-" + hexA + ".scope", "docker-" + hexA + ".scope", false, Container{"docker", hexA}},
		{"/kubepods/burstable/" + podU + "/" + hexA, "", false, Container{"kubernetes", hexA}},
		{"/kubepods/" + podU + "/" + hexA, "", false, Container{"kubernetes", hexA}},
		{"/kubepods/burstable/" + podU + "/crio-" + hexA, "", false, Container{"cri-o", hexA}},
		{"/kubepods/burstable/" + podU, "", false, Container{}},
		{"/notkube/" + podU + "/" + hexA, "", false, Container{}},

		// cri-o, podman, containerd outside Kubernetes.
		{"/system.slice/crio-" + hexA + ".scope", "crio-" + hexA + ".scope", false, Container{"cri-o", hexA}},
		{"/system.slice/crio-conmon-" + hexA + ".scope", "crio-conmon-" + hexA + ".scope", false, Container{}},
		{"/machine.slice/libpod-" + hexA + ".scope", "libpod-" + hexA + ".scope", false, Container{"podman", hexA}},
		{"/machine.slice/libpod-" + hexA + ".scope/container", "libpod-" + hexA + ".scope", false, Container{"podman", hexA}},
		{"/machine.slice/libpod-conmon-" + hexA + ".scope", "libpod-conmon-" + hexA + ".scope", false, Container{}},
		{"/libpod_parent/libpod-" + hexA, "", false, Container{"podman", hexA}},
		{"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + hexA + ".scope", "libpod-" + hexA + ".scope", true, Container{"podman", hexA}},
		{"/system.slice/nerdctl-" + hexA + ".scope", "nerdctl-" + hexA + ".scope", false, Container{"containerd", hexA}},

		// lxc.
		{"/lxc/web", "", false, Container{"lxc", "web"}},
		{"/lxc/web/system.slice/nginx.service", "", false, Container{"lxc", "web"}},
		{"/lxc", "", false, Container{}},
		{"/lxc.payload.web", "", false, Container{"lxc", "web"}},
		{"/lxc.payload.web/init.scope", "", false, Container{"lxc", "web"}},
		{"/lxc.payload/web", "", false, Container{"lxc", "web"}},
		{"/lxc.payload.", "", false, Container{}},
		{"/lxc.monitor.web", "", false, Container{}},

		// Odd spellings of a path.
		{"system.slice/nginx.service", "nginx.service", false, Container{}},
		{"//system.slice//nginx.service/", "nginx.service", false, Container{}},
	}
	for _, c := range cases {
		unit, user, ctr := UnitAndContainer(c.path)
		if unit != c.unit || user != c.userUnit || ctr != c.c {
			t.Errorf("UnitAndContainer(%q) = %q, %v, %+v; want %q, %v, %+v", c.path, unit, user, ctr, c.unit, c.userUnit, c.c)
		}
	}
}

func FuzzUnitAndContainer(f *testing.F) {
	for _, s := range []string{
		"/", "/system.slice/nginx.service", "/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service",
		"/docker/" + hexA, "/kubepods/burstable/" + podU + "/" + hexA, "/lxc.payload.x", "/lxc/x",
		"/system.slice/docker-" + hexA + ".scope", "user@.service/x.scope", "/kubepods/pod/" + hexB,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		unit, user, c := UnitAndContainer(path)
		if !strings.Contains(path, unit) || !strings.Contains(path, c.ID) {
			t.Fatalf("UnitAndContainer(%q) = %q, %+v: not from the path", path, unit, c)
		}
		if user && unit == "" {
			t.Fatalf("UnitAndContainer(%q): a user unit without a unit", path)
		}
		if unit != "" && (strings.Contains(unit, "/") || !hasAnyUnitSuffix(unit)) {
			t.Fatalf("UnitAndContainer(%q) = unit %q: not one component with a unit suffix", path, unit)
		}
		if (c.Runtime == "") != (c.ID == "") || strings.Contains(c.ID, "/") {
			t.Fatalf("UnitAndContainer(%q) = container %+v", path, c)
		}
		if u2, user2, c2 := UnitAndContainer(path); u2 != unit || user2 != user || c2 != c {
			t.Fatalf("UnitAndContainer(%q) not deterministic", path)
		}
		// Extra slashes change nothing.
		if u2, user2, c2 := UnitAndContainer("/" + strings.ReplaceAll(path, "/", "//") + "/"); u2 != unit || user2 != user || c2 != c {
			t.Fatalf("UnitAndContainer(%q) = %q %v %+v, but with doubled slashes %q %v %+v", path, unit, user, c, u2, user2, c2)
		}
		// Round trips: a name made of the input, as a system service, and
		// the input as what a service, a docker container's scope and a
		// user's service hold below them, come back as that unit (and
		// that container): deeper components change neither.
		// (A name "user@..." would be a user manager: "s" comes first.)
		name := "s" + strings.NewReplacer("/", "", ".", "").Replace(path)
		below := "/" + strings.TrimLeft(path, "/")
		if u, user, c := UnitAndContainer("/system.slice/" + name + ".service"); u != name+".service" || user || c != (Container{}) {
			t.Fatalf("UnitAndContainer of service %q.service = %q %v %+v", name, u, user, c)
		}
		if u, user, _ := UnitAndContainer("/system.slice/" + name + ".service" + below); u != name+".service" || user {
			t.Fatalf("UnitAndContainer of service %q.service over %q = %q %v", name, below, u, user)
		}
		if u, user, c := UnitAndContainer("/system.slice/docker-" + hexA + ".scope" + below); u != "docker-"+hexA+".scope" || user || c != (Container{"docker", hexA}) {
			t.Fatalf("UnitAndContainer of docker scope over %q = %q %v %+v", below, u, user, c)
		}
		if u, user, _ := UnitAndContainer("/user.slice/user-1000.slice/user@1000.service/app.slice/" + name + ".service" + below); u != name+".service" || !user {
			t.Fatalf("UnitAndContainer of user service %q.service over %q = %q %v", name, below, u, user)
		}
	})
}

func hasAnyUnitSuffix(s string) bool {
	for _, suffix := range []string{".service", ".scope", ".socket", ".mount", ".swap"} {
		if hasUnitSuffix(s, suffix) {
			return true
		}
	}
	return false
}
