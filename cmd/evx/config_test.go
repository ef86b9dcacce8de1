package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	good := "# evx\n[default]\nserver = https://evx.example.org\ntoken-file = ~/.config/evx/token\n\n[nl-om]\nserver=http://127.0.0.1:8080\ndata = rel/data\ndirectory = /etc/evx/counterparts.yaml\ncounterpart = nl-om\n"
	c, err := parseConfig("cfg", strings.NewReader(good), "/cfgdir", "/home/u")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.profiles["default"]["token-file"]; got != "/home/u/.config/evx/token" {
		t.Errorf("token-file = %q, want ~ expanded", got)
	}
	if got := c.profiles["nl-om"]["data"]; got != "/cfgdir/rel/data" {
		t.Errorf("data = %q, want relative to the file's folder", got)
	}
	if got := c.profiles["nl-om"]["server"]; got != "http://127.0.0.1:8080" {
		t.Errorf("server = %q", got)
	}
	for _, tc := range []struct {
		name, text, reason string
		line               int
	}{
		{"key outside a profile", "server = x\n", "outside a profile", 1},
		{"mistyped key", "[default]\nservr = x\n", `did you mean "server"`, 2},
		{"duplicate key", "[a]\nserver = x\nserver = y\n", "given twice", 3},
		{"duplicate profile", "[a]\n[a]\n", "given twice", 2},
		{"bad profile name", "[a b/c]\n", "profile name", 1},
		{"unclosed section", "[a\n", "want [PROFILE]", 1},
		{"no equals", "[a]\nserver\n", "KEY = VALUE", 2},
		{"empty value", "[a]\nserver =\n", "no value", 2},
		{"control character", "[a]\nserver = x\x01y\n", "control character", 2},
		{"long line", "[a]\nserver = " + strings.Repeat("x", maxConfigLine) + "\n", "longer than", 2},
		{"too big", "[a]\n" + strings.Repeat("# comment\n", maxConfigBytes/10+1), "larger than", 0},
	} {
		_, err := parseConfig("cfg", strings.NewReader(tc.text), "", "")
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Line != tc.line || !strings.Contains(ce.Reason, tc.reason) {
			t.Errorf("%s: parseConfig = %v, want line %d, %q", tc.name, err, tc.line, tc.reason)
		}
	}
}

// FuzzParseConfig: the parser never panics, and what it accepts has only known keys with
// values in profiles of valid names.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{"[default]\nserver = https://x\n", "[a]\ntoken-file = ~/t\n[b]\ndata = d\n", "[\n", "x=y", "[a]\nserver=\xff\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := parseConfig("cfg", strings.NewReader(text), "/d", "/h")
		if err != nil {
			return
		}
		for name, p := range c.profiles {
			if !profileName.MatchString(name) {
				t.Errorf("accepted profile name %q", name)
			}
			for k, v := range p {
				if v == "" || !strings.Contains(strings.Join(configKeys, " "), k) {
					t.Errorf("accepted %q = %q", k, v)
				}
			}
		}
	})
}

// writeConfig writes a configuration file under a fresh $XDG_CONFIG_HOME.
func writeConfig(t *testing.T, text string) {
	t.Helper()
	x := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", x)
	os.MkdirAll(filepath.Join(x, "evx"), 0o700)
	if err := os.WriteFile(filepath.Join(x, "evx", "config"), []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func clearEnv(t *testing.T) {
	for _, v := range []string{ServerEnv, TokenEnv, TokenFileEnv, ProfileEnv, "EVX_DATA", DirectoryEnv} {
		t.Setenv(v, "")
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
}

func tokenFile(t *testing.T, token string, mode os.FileMode) string {
	p := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(p, []byte("# my token\n"+token+"\n"), mode); err != nil {
		t.Fatal(err)
	}
	os.Chmod(p, mode)
	return p
}

// TestResolve: flags override the environment, which overrides the configuration file;
// a server and a data folder at one level are refused, and so is neither.
func TestResolve(t *testing.T) {
	tf := tokenFile(t, "file-token-00000001", 0o600)
	cfg := "[default]\nserver = https://file.example\ntoken-file = " + tf + "\n[local]\ndata = /var/lib/evx\ndirectory = /etc/evx/cp.yaml\n"
	for _, tc := range []struct {
		name    string
		flags   exchangeFlags
		env     map[string]string
		config  string
		server  string
		data    string
		token   string
		dir     string
		wantErr string
	}{
		{name: "nothing", wantErr: "--server URL (or $EVX_SERVER)"},
		{name: "file", config: cfg, server: "https://file.example", token: "file-token-00000001"},
		{name: "env over file", config: cfg, env: map[string]string{ServerEnv: "https://env.example", TokenEnv: "env-token-000000001"}, server: "https://env.example", token: "env-token-000000001"},
		{name: "flag over env", config: cfg, flags: exchangeFlags{server: "https://flag.example", token: "flag-token-00000001"}, env: map[string]string{ServerEnv: "https://env.example"}, server: "https://flag.example", token: "flag-token-00000001"},
		{name: "token file flag over env token", flags: exchangeFlags{server: "https://x.example", tokenFile: tf}, env: map[string]string{TokenEnv: "env-token-000000001"}, server: "https://x.example", token: "file-token-00000001"},
		{name: "token file env", env: map[string]string{ServerEnv: "https://x.example", TokenFileEnv: tf}, server: "https://x.example", token: "file-token-00000001"},
		{name: "data flag over server env", flags: exchangeFlags{data: "/d"}, env: map[string]string{ServerEnv: "https://env.example"}, data: "/d"},
		{name: "profile", config: cfg, flags: exchangeFlags{profile: "local"}, data: "/var/lib/evx", dir: "/etc/evx/cp.yaml"},
		{name: "profile from env", config: cfg, env: map[string]string{ProfileEnv: "local"}, data: "/var/lib/evx", dir: "/etc/evx/cp.yaml"},
		{name: "unknown profile", config: cfg, flags: exchangeFlags{profile: "nope"}, wantErr: "no profile [nope]; it has default, local"},
		{name: "profile without file", flags: exchangeFlags{profile: "nope"}, wantErr: "no configuration file"},
		{name: "both flags", flags: exchangeFlags{server: "https://x.example", data: "/d"}, wantErr: "both --server and --data"},
		{name: "both env", env: map[string]string{ServerEnv: "https://x.example", "EVX_DATA": "/d"}, wantErr: "both $EVX_SERVER and $EVX_DATA"},
		{name: "both in the file", config: "[default]\nserver = https://x.example\ndata = /d\n", wantErr: "sets both server and data"},
		{name: "no token", flags: exchangeFlags{server: "https://x.example"}, wantErr: "--server needs a token"},
		{name: "token and token file", flags: exchangeFlags{server: "https://x.example", token: "t", tokenFile: tf}, wantErr: "not both"},
		{name: "token file readable by others", flags: exchangeFlags{server: "https://x.example", tokenFile: tokenFile(t, "x-token-0000000001", 0o644)}, wantErr: "chmod 600"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			if tc.config != "" {
				writeConfig(t, tc.config)
			}
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			s, err := tc.flags.resolve()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("resolve = %+v, %v; want an error saying %q", s, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.server != tc.server || s.data != tc.data || s.token != tc.token || s.directory != tc.dir {
				t.Errorf("resolve = %+v, want server %q data %q token %q directory %q", *s, tc.server, tc.data, tc.token, tc.dir)
			}
		})
	}
}

// TestNoFallback: upload, pull and trail with neither a server nor a data folder are usage
// errors naming both, and create no data folder in the current one.
func TestNoFallback(t *testing.T) {
	clearEnv(t)
	wd, _ := os.Getwd()
	for _, args := range [][]string{
		append([]string{"upload", "--counterpart", "nl-om"}, sampleFiles(t)...),
		{"pull"},
		{"trail", strings.Repeat("0", 64)},
		{"report", strings.Repeat("0", 64)},
	} {
		code, _, errs := runCmd(t, args...)
		if code != exitUsage || !strings.Contains(errs, "--server URL") || !strings.Contains(errs, "--data DIR") {
			t.Errorf("evx %s = %d %q; want 2 naming --server and --data", args[0], code, errs)
		}
	}
	if _, err := os.Stat(filepath.Join(wd, ".evx")); err == nil {
		t.Errorf("a data folder .evx was created in %s", wd)
	}
}

// TestDirectoryResolution: --directory, else $EVX_DIRECTORY, else DATA/counterparts.yaml;
// a missing one says how to name it.
func TestDirectoryResolution(t *testing.T) {
	clearEnv(t)
	data := t.TempDir()
	if got := resolveDirectory("", data); got != filepath.Join(data, "counterparts.yaml") {
		t.Errorf("default directory %s, want it in the data folder", got)
	}
	t.Setenv(DirectoryEnv, "/etc/evx/cp.yaml")
	if got := resolveDirectory("", data); got != "/etc/evx/cp.yaml" {
		t.Errorf("directory with $EVX_DIRECTORY = %s", got)
	}
	if got := resolveDirectory("f.yaml", data); got != "f.yaml" {
		t.Errorf("directory with --directory = %s", got)
	}
	t.Setenv(DirectoryEnv, "")
	code, _, errs := runCmd(t, "trail", "--data", data, strings.Repeat("0", 64))
	if code != exitUsage || !strings.Contains(errs, "--directory FILE") || !strings.Contains(errs, "$EVX_DIRECTORY") {
		t.Errorf("trail on a data folder without a directory = %d %q", code, errs)
	}
	// A directory in the data folder is found without any flag.
	b, _ := os.ReadFile(testDirectory)
	os.WriteFile(filepath.Join(data, "counterparts.yaml"), b, 0o644)
	code, _, errs = runCmd(t, "trail", "--data", data, strings.Repeat("0", 64))
	if code != exitInvalid || !strings.Contains(errs, "no custody trail") {
		t.Errorf("trail with the directory in the data folder = %d %q; want 1, no trail", code, errs)
	}
}
