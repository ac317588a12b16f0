package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/portwatch/portwatch/internal/testenv"
)

var (
	exporterOnce sync.Once
	exporterErr  error
)

// buildExporter builds portwatch-exporter (portwatch with -tags exporter)
// beside the test's portwatch, where portwatch serve looks for it.
func buildExporter(t *testing.T) {
	t.Helper()
	exporterOnce.Do(func() {
		build := exec.Command(goTool(), "build", "-tags", "exporter", "-o", filepath.Join(filepath.Dir(binPath), exporterName), ".")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			exporterErr = fmt.Errorf("building %s: %v\n%s", exporterName, err, out)
		}
	})
	if exporterErr != nil {
		t.Fatal(exporterErr)
	}
}

// freePort returns a loopback TCP port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startDaemon starts argv and stops it (SIGTERM, then waits) at the end of
// the test; its output goes to the test log when the test fails.
func startDaemon(t *testing.T, argv ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %v: %v", argv, err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if t.Failed() {
			t.Logf("%s said:\n%s", filepath.Base(argv[0]), out.String())
		}
	})
	return cmd
}

// waitHTTP polls url until it answers 200 and returns the body.
func waitHTTP(t *testing.T, url string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return string(body)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer 200: %v", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// promQuery runs an instant query against the Prometheus API at base and
// returns the series' labels and values.
func promQuery(t *testing.T, base, query string) []map[string]string {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(query))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Status string
		Data   struct {
			Result []struct {
				Metric map[string]string
				Value  []any
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r.Status != "success" {
		t.Fatalf("query %s: status %q, %v", query, r.Status, err)
	}
	var out []map[string]string
	for _, s := range r.Data.Result {
		m := s.Metric
		if len(s.Value) == 2 {
			m["__value__"], _ = s.Value[1].(string)
		}
		out = append(out, m)
	}
	return out
}

// waitQuery polls a query until ok accepts its result.
func waitQuery(t *testing.T, base, query, what string, ok func([]map[string]string) bool) []map[string]string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res := promQuery(t, base, query)
		if ok(res) {
			return res
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %s gave %v", what, query, res)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// TestServeScrapedByPrometheus runs portwatch serve (through portwatch,
// which runs portwatch-exporter) and a real Prometheus that scrapes it on
// loopback: a listener the test opens shows up as portwatch_listener_info
// with this process's name, goes away when it closes, and the changes
// counter saw it come and go; promtool accepts the scraped text.
func TestServeScrapedByPrometheus(t *testing.T) {
	prom := testenv.NeedProgram(t, "prometheus", "prometheus")
	promtool := testenv.NeedProgram(t, "promtool", "prometheus")
	buildExporter(t)

	port := freePort(t)
	target := "127.0.0.1:" + strconv.Itoa(port)
	startDaemon(t, binPath, "serve", "--web.listen-address", target, "--min-interval", "200ms")
	if body := waitHTTP(t, "http://"+target+"/healthz"); body != "ok\n" {
		t.Errorf("/healthz: %q", body)
	}

	dir := t.TempDir()
	config := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: portwatch
    static_configs:
      - targets: [%q]
`, target)), 0o644); err != nil {
		t.Fatal(err)
	}
	promAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	startDaemon(t, prom, "--config.file="+config, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+promAddr, "--log.level=warn")
	base := "http://" + promAddr
	waitHTTP(t, base+"/-/ready")
	waitQuery(t, base, `up{job="portwatch"}`, "the first scrape", func(r []map[string]string) bool {
		return len(r) == 1 && r[0]["__value__"] == "1"
	})

	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lport := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	comm, _ := os.ReadFile("/proc/self/comm")
	query := `portwatch_listener_info{port="` + lport + `"}`
	res := waitQuery(t, base, query, "the test's listener", func(r []map[string]string) bool { return len(r) == 1 })
	if got := res[0]; got["process"] != strings.TrimSpace(string(comm)) || got["address"] != "127.0.0.1" ||
		got["exposure"] != "loopback" || got["proto"] != "tcp" || got["__value__"] != "1" {
		t.Errorf("listener series %v, want process %q, address 127.0.0.1, exposure loopback, value 1", got, strings.TrimSpace(string(comm)))
	}
	ln.Close()
	waitQuery(t, base, query, "the closed listener's series to go", func(r []map[string]string) bool { return len(r) == 0 })
	for _, ev := range []string{"new", "gone"} {
		waitQuery(t, base, `portwatch_listener_changes_total{event="`+ev+`"}`, "a "+ev+" listener counted",
			func(r []map[string]string) bool {
				n, _ := strconv.Atoi(r[0]["__value__"])
				return len(r) == 1 && n >= 1
			})
	}
	if r := promQuery(t, base, `portwatch_sockets{proto="tcp",state="LISTEN"}`); len(r) == 0 {
		t.Error("no portwatch_sockets for TCP listeners")
	}
	if r := promQuery(t, base, `portwatch_audit_findings{rule="database-exposed"}`); len(r) != 1 || r[0]["severity"] != "high" {
		t.Errorf("Prometheus has no audit findings per rule: %v", r)
	}

	// promtool lints what Prometheus scraped, in both formats.
	for _, accept := range []string{"text/plain", "application/openmetrics-text; version=1.0.0"} {
		req, _ := http.NewRequest("GET", "http://"+target+"/metrics", nil)
		req.Header.Set("Accept", accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if accept != "text/plain" {
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/openmetrics-text") || !bytes.HasSuffix(body, []byte("# EOF\n")) {
				t.Errorf("OpenMetrics asked for: Content-Type %q", ct)
			}
			continue
		}
		if !bytes.Contains(body, []byte(`portwatch_audit_findings{rule="database-exposed",severity="high"}`)) {
			t.Errorf("the scrape has no audit findings per rule:\n%s", body)
		}
		check := exec.Command(promtool, "check", "metrics")
		check.Stdin = bytes.NewReader(body)
		if out, err := check.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics: %v\n%s", err, out)
		}
	}
}

// TestServeBadValues: bad flags are exit 2 with one line, in the lean
// binary, before it looks for the exporter; a port in use is exit 1
// naming it.
func TestServeBadValues(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--web.listen-address", "localhost"},
		{"serve", "--web.listen-address", "127.0.0.1:99999"},
		{"serve", "--max-series", "0"},
		{"serve", "--min-interval", "fast"},
		{"serve", "extra"},
	} {
		r := runCmd(t, exec.Command(binPath, args...))
		if r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, want 2 with one line: %q", args, r.code, r.stderr)
		}
	}
	// Without the exporter beside it or on PATH: exit 1 saying what is
	// missing.
	lone := filepath.Join(t.TempDir(), "portwatch")
	data, err := os.ReadFile(binPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lone, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(lone, "serve")
	cmd.Env = append(os.Environ(), "PATH=/nonexistent")
	if r := runCmd(t, cmd); r.code != 1 || !strings.Contains(r.stderr, exporterName) {
		t.Errorf("serve without %s: exit %d, want 1 naming it: %q", exporterName, r.code, r.stderr)
	}

	buildExporter(t)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	r := runCmd(t, exec.Command(binPath, "serve", "--listen", ln.Addr().String()))
	if r.code != 1 || !strings.Contains(r.stderr, ln.Addr().String()) {
		t.Errorf("a port in use: exit %d, want 1 naming %s: %q", r.code, ln.Addr(), r.stderr)
	}
}

// TestAuditTextfile: portwatch audit --textfile (run by portwatch-exporter)
// writes the audit metrics for node_exporter; a reader during the writes
// only ever sees a whole file, and promtool accepts it.
func TestAuditTextfile(t *testing.T) {
	promtool := testenv.NeedProgram(t, "promtool", "prometheus")
	buildExporter(t)
	if r := runCmd(t, exec.Command(binPath, "audit", "--textfile", "x.prom", "--json")); r.code != 2 {
		t.Errorf("--textfile with --json: exit %d, want 2: %q", r.code, r.stderr)
	}
	path := filepath.Join(t.TempDir(), "portwatch.prom")
	r := runCmd(t, exec.Command(binPath, "audit", "--textfile", path))
	whole, err := os.ReadFile(path)
	if r.code != 0 || err != nil || r.stdout != "" {
		t.Fatalf("audit --textfile: exit %d, stdout %q, stderr %q, file: %v", r.code, r.stdout, r.stderr, err)
	}
	rules := strings.Count(string(whole), "portwatch_audit_findings{")
	if rules < 10 {
		t.Fatalf("%d rule counts in:\n%s", rules, whole)
	}
	stop := make(chan struct{})
	partial := make(chan string, 1)
	var reads sync.WaitGroup
	reads.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			data, err := os.ReadFile(path)
			if err == nil && (strings.Count(string(data), "portwatch_audit_findings{") != rules || !bytes.HasSuffix(data, []byte("\n"))) {
				select {
				case partial <- string(data):
				default:
				}
			}
		}
	})
	for range 5 {
		if r := runCmd(t, exec.Command(binPath, "audit", "--textfile", path)); r.code != 0 {
			t.Errorf("audit --textfile: exit %d: %s", r.code, r.stderr)
		}
	}
	close(stop)
	reads.Wait()
	select {
	case p := <-partial:
		t.Errorf("a reader saw a partial file:\n%s", p)
	default:
	}
	check := exec.Command(promtool, "check", "metrics")
	check.Stdin = bytes.NewReader(whole)
	if out, err := check.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("%d files beside the textfile, want none (no temporary left)", len(entries)-1)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key into dir and
// returns a pool that trusts it.
func selfSigned(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "portwatch test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	for name, block := range map[string]*pem.Block{
		"cert.pem": {Type: "CERTIFICATE", Bytes: der}, "key.pem": {Type: "EC PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}

// TestServeTLSAndBasicAuth: with a web config made by the test, serve
// speaks TLS and wants the password: none or a wrong one is 401, the right
// one 200; a malformed web config is exit 2 naming the file.
func TestServeTLSAndBasicAuth(t *testing.T) {
	buildExporter(t)
	dir := t.TempDir()
	pool := selfSigned(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`tls_server_config:
  cert_file: %s
  key_file: %s
basic_auth_users:
  prom: %s
`, filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), hash)), 0o600); err != nil {
		t.Fatal(err)
	}
	target := "127.0.0.1:" + strconv.Itoa(freePort(t))
	startDaemon(t, binPath, "serve", "--listen", target, "--web.config.file", config)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	get := func(user, pass string) (int, string) {
		req, _ := http.NewRequest("GET", "https://"+target+"/metrics", nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	deadline := time.Now().Add(20 * time.Second)
	code, body := get("prom", "s3cret")
	for code == 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		code, body = get("prom", "s3cret")
	}
	if code != 200 || !strings.Contains(body, "portwatch_listener_info") {
		t.Fatalf("the right password: %d %.200s", code, body)
	}
	for _, c := range [][2]string{{"", ""}, {"prom", "wrong"}, {"other", "s3cret"}} {
		if code, _ := get(c[0], c[1]); code != 401 {
			t.Errorf("user %q password %q: %d, want 401", c[0], c[1], code)
		}
	}
	if resp, err := http.Get("http://" + target + "/metrics"); err == nil {
		if resp.StatusCode == 200 {
			t.Error("plain HTTP to the TLS port got the metrics")
		}
		resp.Body.Close()
	}

	bad := filepath.Join(dir, "bad.yml")
	for _, text := range []string{"tls_server_config: [\n", "basic_auth_users:\n  prom: x\nno_such_field: 1\n",
		"tls_server_config:\n  cert_file: /nonexistent.pem\n  key_file: /nonexistent.key\n"} {
		if err := os.WriteFile(bad, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		r := runCmd(t, exec.Command(binPath, "serve", "--listen", "127.0.0.1:"+strconv.Itoa(freePort(t)), "--web.config.file", bad))
		if r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, bad) {
			t.Errorf("web config %q: exit %d, want 2 with one line naming %s: %q", text, r.code, bad, r.stderr)
		}
	}
}

// scrapeValue returns the value of the sample named name (with its labels,
// as the text format writes them) in a scrape, -1 when it has none.
func scrapeValue(text, name string) float64 {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}

// TestServeUnderLoad: 200 scrapes at once are all answered and share
// collections (at most one per --min-interval, counted by the exporter
// itself); memory stays bounded; clients that send half a request and
// stall do not hold up a scrape.
func TestServeUnderLoad(t *testing.T) {
	buildExporter(t)
	target := "127.0.0.1:" + strconv.Itoa(freePort(t))
	startDaemon(t, binPath, "serve", "--listen", target, "--min-interval", "2s")
	url := "http://" + target + "/metrics"
	before := scrapeValue(waitHTTP(t, url), "portwatch_collections_total")

	// Stalled clients: connected, half a request sent, nothing more.
	for range 20 {
		c, err := net.Dial("tcp4", target)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte("GET /metrics HTTP/1.1\r\nHost: x\r\n"))
	}
	start := time.Now()
	if _, err := http.Get(url); err != nil || time.Since(start) > 5*time.Second {
		t.Errorf("a scrape beside 20 stalled clients: %v after %v", err, time.Since(start))
	}

	var wg sync.WaitGroup
	codes := make(chan int, 200)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: 200}}
	start = time.Now()
	for range 200 {
		wg.Go(func() {
			resp, err := client.Get(url)
			if err != nil {
				codes <- 0
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes <- resp.StatusCode
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(codes)
	ok := 0
	for c := range codes {
		if c == 200 {
			ok++
		}
	}
	if ok != 200 {
		t.Errorf("%d of 200 concurrent scrapes answered 200", ok)
	}
	text := waitHTTP(t, url)
	after := scrapeValue(text, "portwatch_collections_total")
	t.Logf("200 scrapes in %v; collections %v before, %v after", elapsed, before, after)
	// The burst, the scrape before it and this one: one collection per 2 s
	// window they span, and one more for a window boundary.
	if most := float64(int(elapsed/(2*time.Second))) + 3; before < 0 || after-before > most {
		t.Errorf("collections went from %v to %v over %v: more than one per 2 s", before, after, elapsed)
	}
	if rss := scrapeValue(text, "process_resident_memory_bytes"); rss <= 0 || rss > 200<<20 {
		t.Errorf("resident memory after the burst: %v bytes", rss)
	}
}

// TestServeNetns: with --netns all, a listener in another namespace is a
// series with that namespace's name and the exposure "namespace".
func TestServeNetns(t *testing.T) {
	testenv.NeedRoot(t, "create network namespaces")
	testenv.NeedProgram(t, "ip", "iproute2")
	buildExporter(t)
	ns := addNamedNetns(t, "pwtest-s-"+strconv.Itoa(os.Getpid()))
	startChild(t, []string{"ip", "netns", "exec", ns.name, os.Args[0]}, []string{childRoleEnv + "=netns-load"})
	target := "127.0.0.1:" + strconv.Itoa(freePort(t))
	startDaemon(t, binPath, "serve", "--listen", target, "--netns", "all")
	text := waitHTTP(t, "http://"+target+"/metrics")
	want := `address="0.0.0.0",container="",exposure="namespace",netns="` + ns.name + `",port="6379"`
	if !strings.Contains(text, want) {
		t.Errorf("no listener series with %s in:\n%s", want, text)
	}
	if r := runCmd(t, exec.Command(binPath, "serve", "--listen", "127.0.0.1:0", "--netns", "no-such-namespace-x")); r.code != 2 {
		t.Errorf("--netns no-such-namespace-x: exit %d, want 2: %q", r.code, r.stderr)
	}
}
