package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServeLogged is startServe keeping the child's log (stderr).
func startServeLogged(t *testing.T, args ...string) (*serveChild, *lockedBuffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), serveHelperEnv+"="+strings.Join(args, "\x1f"))
	logs := &lockedBuffer{}
	cmd.Stderr = logs
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("evx serve printed no address: %v; log %s", err, logs.String())
	}
	go io.Copy(io.Discard, stdout)
	return &serveChild{cmd: cmd, base: strings.Fields(line)[2]}, logs
}

func serveArgs(t *testing.T, tokens string) (args []string, tokFile string) {
	dir := t.TempDir()
	tokFile = filepath.Join(dir, "tokens")
	os.WriteFile(tokFile, []byte(tokens), 0o600)
	dirPath, _ := filepath.Abs(testDirectory)
	return []string{"--tokens", tokFile, "--data", filepath.Join(dir, "data"), "--directory", dirPath, "--addr", "127.0.0.1:0"}, tokFile
}

func getStatus(t *testing.T, c *http.Client, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A second evx serve on the same data folder refuses to start and names the first's PID;
// SIGTERM stops the first, which says that it stopped and why.
func TestServeLockAndSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	args, _ := serveArgs(t, "legal-token-0000001 legal clerk\n")
	first, logs := startServeLogged(t, args...)
	code, _, errs := runCmd(t, append([]string{"serve"}, args...)...)
	if pid := strconv.Itoa(first.cmd.Process.Pid); code != exitUsage || !strings.Contains(errs, "PID "+pid) {
		t.Errorf("second evx serve = exit %d, %q; want exit %d naming PID %s", code, errs, exitUsage, pid)
	}
	first.cmd.Process.Signal(syscall.SIGTERM)
	if err := first.cmd.Wait(); err != nil {
		t.Errorf("evx serve after SIGTERM: %v", err)
	}
	if l := logs.String(); !strings.Contains(l, "evx serve stopped") || !strings.Contains(l, "SIGTERM") {
		t.Errorf("log after SIGTERM %q, want a line saying it stopped on SIGTERM", l)
	}
}

// A token removed from the file stops working without a restart: on SIGHUP (and when the
// file changes); a broken file keeps the old tokens and says so.
func TestServeTokensReload(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	args, tokFile := serveArgs(t, "legal-token-0000001 legal clerk\nother-token-0000001 legal other\n")
	s, logs := startServeLogged(t, args...)
	defer func() { s.cmd.Process.Signal(syscall.SIGINT); s.cmd.Wait() }()
	url := s.base + "/v1/bundles/abc"
	if c := getStatus(t, http.DefaultClient, url, "other-token-0000001"); c != 404 {
		t.Fatalf("before revocation = %d, want 404", c)
	}
	os.WriteFile(tokFile, []byte("this line is broken\n"), 0o600)
	s.cmd.Process.Signal(syscall.SIGHUP)
	for i := 0; i < 200 && !strings.Contains(logs.String(), "NOT RELOADED"); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "NOT RELOADED") {
		t.Fatalf("log %q does not say the broken file was not reloaded", logs.String())
	}
	if c := getStatus(t, http.DefaultClient, url, "other-token-0000001"); c != 404 {
		t.Errorf("after a broken file = %d, want 404: the old tokens in force", c)
	}
	os.WriteFile(tokFile, []byte("legal-token-0000001 legal clerk\n"), 0o600)
	s.cmd.Process.Signal(syscall.SIGHUP)
	c := 0
	for range 200 {
		if c = getStatus(t, http.DefaultClient, url, "other-token-0000001"); c == 401 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if c != 401 {
		t.Errorf("revoked token = %d, want 401", c)
	}
	if c := getStatus(t, http.DefaultClient, url, "legal-token-0000001"); c != 404 {
		t.Errorf("kept token = %d, want 404", c)
	}
}

// A tokens file over 1 MiB, or naming a counterpart the directory lacks, stops evx serve at
// startup, naming the problem.
func TestServeTokensStartupErrors(t *testing.T) {
	args, tokFile := serveArgs(t, "nl-om-token-0000001 counterpart nl-om\nxx-token-0000000001 counterpart xx-nowhere\n")
	code, _, errs := runCmd(t, append([]string{"serve"}, args...)...)
	if code != exitUsage || !strings.Contains(errs, "line 2") || !strings.Contains(errs, "xx-nowhere") {
		t.Errorf("unknown counterpart: exit %d, %q; want %d naming line 2", code, errs, exitUsage)
	}
	os.WriteFile(tokFile, []byte(strings.Repeat("# padding\n", 110_000)+"legal-token-0000001 legal clerk\n"), 0o600)
	code, _, errs = runCmd(t, append([]string{"serve"}, args...)...)
	if code != exitUsage || !strings.Contains(errs, "more than") {
		t.Errorf("tokens file over 1 MiB: exit %d, %q; want %d", code, errs, exitUsage)
	}
}

func TestCheckListen(t *testing.T) {
	for _, tc := range []struct {
		addr          string
		tls, insecure bool
		ok            bool
	}{
		{"127.0.0.1:8080", false, false, true},
		{"[::1]:8080", false, false, true},
		{"localhost:8080", false, false, true},
		{"0.0.0.0:8080", false, false, false},
		{":8080", false, false, false},
		{"192.0.2.10:8080", false, false, false},
		{"0.0.0.0:8080", true, false, true},
		{"0.0.0.0:8080", false, true, true},
	} {
		if err := checkListen(tc.addr, tc.tls, tc.insecure); (err == nil) != tc.ok {
			t.Errorf("checkListen(%s, tls %v, insecure %v) = %v, want ok %v", tc.addr, tc.tls, tc.insecure, err, tc.ok)
		}
	}
	args, _ := serveArgs(t, "legal-token-0000001 legal clerk\n")
	args[len(args)-1] = "0.0.0.0:0"
	if code, _, errs := runCmd(t, append([]string{"serve"}, args...)...); code != exitUsage || !strings.Contains(errs, "--insecure-http") {
		t.Errorf("serve on 0.0.0.0 without TLS = exit %d, %q; want %d and the way out", code, errs, exitUsage)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "evx test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kd, _ := x509.MarshalPKCS8PrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// With --tls-cert and --tls-key, evx serve speaks HTTPS.
func TestServeTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	args, _ := serveArgs(t, "legal-token-0000001 legal clerk\n")
	cert, key, pool := selfSigned(t, t.TempDir())
	s, _ := startServeLogged(t, append(args, "--tls-cert", cert, "--tls-key", key)...)
	defer func() { s.cmd.Process.Signal(syscall.SIGINT); s.cmd.Wait() }()
	url := s.base
	if !strings.HasPrefix(url, "https://") {
		t.Fatalf("announced %q, want an https:// URL", url)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if code := getStatus(t, c, url+"/v1/checkpoint", ""); code != 200 {
		t.Errorf("GET checkpoint over TLS = %d, want 200", code)
	}
}
