// Package lambdatest runs a real Lambda bootstrap under the AWS Lambda runtime interface
// emulator (aws-lambda-rie), for the functions' integration tests and cold-start figures.
//
// [Build] compiles a function the way it is deployed (CGO_ENABLED=0 and the go build flags of
// functions/lambda.mk, see [BuildFlags]), for the machine's own architecture so it runs here. [Start]
// runs it under aws-lambda-rie with both of the emulator's ports on 127.0.0.1 at free ports
// (never 9001, the emulator's default runtime API port, so several functions can run side by
// side), [Function.Invoke] posts an event as the Lambda service would, and [Function.Stop]
// ends the emulator and the function by process group. [Function.Reports] reads the
// emulator's REPORT lines: Init Duration is the cold start.
package lambdatest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Build compiles the main package pkg (a path like ./functions/ingest, relative to dir) into
// out as a Lambda bootstrap, for GOOS=linux and the machine's GOARCH, with the flags of
// functions/lambda.mk in the module that holds dir.
func Build(ctx context.Context, dir, pkg, out string) error {
	return BuildFor(ctx, dir, pkg, out, runtime.GOARCH)
}

// BuildFor is Build for the architecture goarch: "arm64" builds what template.yaml deploys
// (Architectures: [arm64]), to weigh it, on a machine that runs another.
func BuildFor(ctx context.Context, dir, pkg, out, goarch string) error {
	gomod, err := exec.CommandContext(ctx, "go", "env", "-C", dir, "GOMOD").Output()
	if err != nil || len(bytes.TrimSpace(gomod)) == 0 {
		return fmt.Errorf("build %s: no Go module holds %s: %v", pkg, dir, err)
	}
	flags, err := BuildFlags(filepath.Dir(string(bytes.TrimSpace(gomod))))
	if err != nil {
		return fmt.Errorf("build %s: %w", pkg, err)
	}
	args := append(append([]string{"build"}, flags...), "-o", out, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// BuildFlags returns the go build flags every Lambda bootstrap is built with: the value of
// LAMBDA_GOFLAGS in root/functions/lambda.mk, the one place that holds them, split into
// arguments as sh would split it (single quotes group, as in -ldflags '-s -w').
func BuildFlags(root string) ([]string, error) {
	path := filepath.Join(root, "functions", "lambda.mk")
	mk, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(string(mk), "\n") {
		name, value, ok := strings.Cut(line, ":=")
		if !ok || strings.TrimSpace(name) != "LAMBDA_GOFLAGS" {
			continue
		}
		var args []string
		var cur strings.Builder
		inArg, quoted := false, false
		for _, r := range strings.TrimSpace(value) {
			switch {
			case r == '\'':
				quoted, inArg = !quoted, true
			case (r == ' ' || r == '\t') && !quoted:
				if inArg {
					args = append(args, cur.String())
					cur.Reset()
					inArg = false
				}
			default:
				cur.WriteRune(r)
				inArg = true
			}
		}
		if quoted {
			return nil, fmt.Errorf("%s: LAMBDA_GOFLAGS: unclosed quote", path)
		}
		if inArg {
			args = append(args, cur.String())
		}
		return args, nil
	}
	return nil, fmt.Errorf("%s: no LAMBDA_GOFLAGS := line", path)
}

// Function is a bootstrap running under aws-lambda-rie.
type Function struct {
	URL       string // the emulator's invoke endpoint
	Bootstrap string // the path of the bootstrap it runs

	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	out  bytes.Buffer // the emulator's and the function's output
}

// FreePort returns a TCP port free on 127.0.0.1 now, never 9001.
func FreePort() (int, error) {
	for {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if p != 9001 {
			return p, nil
		}
	}
}

// Start runs bootstrap under the emulator at rie (the path of aws-lambda-rie) with env added
// to the environment, and waits up to timeout for the emulator to accept connections.
func Start(rie, bootstrap string, env []string, timeout time.Duration) (*Function, error) {
	invokePort, err := FreePort()
	if err != nil {
		return nil, err
	}
	apiPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	for apiPort == invokePort {
		if apiPort, err = FreePort(); err != nil {
			return nil, err
		}
	}
	addr := fmt.Sprintf("127.0.0.1:%d", invokePort)
	f := &Function{URL: "http://" + addr + "/2015-03-31/functions/function/invocations", Bootstrap: bootstrap, done: make(chan struct{})}
	f.cmd = exec.Command(rie,
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", apiPort),
		bootstrap)
	f.cmd.Env = append(os.Environ(), env...)
	f.cmd.Stdout, f.cmd.Stderr = (*lockedWriter)(f), (*lockedWriter)(f)
	// Its own process group, so Stop ends the function the emulator started too.
	f.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := f.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", rie, err)
	}
	go func() { f.cmd.Wait(); close(f.done) }()
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return f, nil
		}
		select {
		case <-f.done:
			return nil, fmt.Errorf("aws-lambda-rie exited before listening:\n%s", f.Output())
		default:
		}
		if time.Now().After(deadline) {
			f.Stop()
			return nil, fmt.Errorf("aws-lambda-rie not listening on %s after %v:\n%s", addr, timeout, f.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type lockedWriter Function

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.out.Write(p)
}

// Output is everything the emulator and the function printed so far.
func (f *Function) Output() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.out.String()
}

// Invoke posts event and returns the function's response body. A function error comes back
// as the error payload with a nil error, as from the Lambda service.
func (f *Function) Invoke(ctx context.Context, event []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.URL, bytes.NewReader(event))
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoke: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("invoke: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return body, fmt.Errorf("invoke: %s: %s", resp.Status, body)
	}
	return body, nil
}

// Report is one REPORT line of the emulator.
type Report struct {
	RequestID    string
	InitDuration time.Duration // zero but for the first (cold) invocation
	Duration     time.Duration
}

var reportLine = regexp.MustCompile(`REPORT RequestId: (\S+)\s+(?:Init Duration: ([0-9.]+) ms\s+)?Duration: ([0-9.]+) ms`)

// Reports parses the REPORT lines printed so far.
func (f *Function) Reports() []Report { return parseReports(f.Output()) }

func parseReports(out string) []Report {
	var rs []Report
	sc := bufio.NewScanner(bytes.NewBufferString(out))
	for sc.Scan() {
		m := reportLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		r := Report{RequestID: m[1], Duration: ms(m[3])}
		if m[2] != "" {
			r.InitDuration = ms(m[2])
		}
		rs = append(rs, r)
	}
	return rs
}

func ms(s string) time.Duration {
	v, _ := strconv.ParseFloat(s, 64)
	return time.Duration(v * float64(time.Millisecond))
}

// Stop ends the emulator and the function (SIGTERM to the process group, SIGKILL after two
// seconds) and waits for the emulator to exit.
func (f *Function) Stop() error {
	pid := f.cmd.Process.Pid
	syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-f.done:
	case <-time.After(2 * time.Second):
		syscall.Kill(-pid, syscall.SIGKILL)
		<-f.done
	}
	// The function may outlive the emulator in the group: make sure none is left.
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stop process group %d: %w", pid, err)
	}
	return nil
}
