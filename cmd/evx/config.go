package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// The configuration file: $XDG_CONFIG_HOME/evx/config (else ~/.config/evx/config), optional.
// Its format is documented in docs/cli-config.md:
//
//	# comment
//	[default]
//	server = https://evx.example.org
//	token-file = ~/.config/evx/token
//
//	[nl-om]
//	server = https://evx.example.org
//	token-file = ~/.config/evx/nl-om.token
//	directory = /etc/evx/counterparts.yaml
//	data = /var/lib/evx
//
// A profile is chosen with --profile NAME or $EVX_PROFILE, else [default] is used (when the
// file has one). Flags override the environment, which overrides the file.

// Limits of the configuration file.
const (
	maxConfigBytes    = 64 << 10
	maxConfigLine     = 4 << 10
	maxConfigProfiles = 256
)

// configKeys are the keys a profile may set.
var configKeys = []string{"server", "token-file", "data", "directory", "counterpart", "uploader"}

var profileName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ConfigError: the configuration file cannot be used; Line is 0 when the error concerns the
// whole file.
type ConfigError struct {
	Path   string
	Line   int
	Reason string
}

func (e *ConfigError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("configuration file %s: %s", e.Path, e.Reason)
	}
	return fmt.Sprintf("configuration file %s, line %d: %s", e.Path, e.Line, e.Reason)
}

// profile is one [NAME] section of the configuration file.
type profile map[string]string

// config is a parsed configuration file.
type config struct {
	path     string
	profiles map[string]profile
}

// parseConfig reads the configuration file format. Relative paths in token-file, data and
// directory are relative to dir (the file's folder); "~/" starts at home.
func parseConfig(path string, r io.Reader, dir, home string) (*config, error) {
	fail := func(line int, format string, a ...any) error {
		return &ConfigError{Path: path, Line: line, Reason: fmt.Sprintf(format, a...)}
	}
	raw, err := io.ReadAll(io.LimitReader(r, maxConfigBytes+1))
	if err != nil {
		return nil, fail(0, "%v", err)
	}
	if len(raw) > maxConfigBytes {
		return nil, fail(0, "larger than %d bytes", maxConfigBytes)
	}
	c := &config{path: path, profiles: map[string]profile{}}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 0, 1024), maxConfigLine+1)
	var cur profile
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if len(line) > maxConfigLine {
			return nil, fail(n, "line longer than %d bytes", maxConfigLine)
		}
		if strings.ContainsFunc(line, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
			return nil, fail(n, "control character")
		}
		if line == "" || line[0] == '#' {
			continue
		}
		if line[0] == '[' {
			if !strings.HasSuffix(line, "]") {
				return nil, fail(n, "want [PROFILE]")
			}
			name := strings.TrimSpace(line[1 : len(line)-1])
			if !profileName.MatchString(name) {
				return nil, fail(n, "profile name %q: letters, digits, '.', '_' and '-', at most 64", name)
			}
			if _, dup := c.profiles[name]; dup {
				return nil, fail(n, "profile [%s] given twice", name)
			}
			if len(c.profiles) == maxConfigProfiles {
				return nil, fail(n, "more than %d profiles", maxConfigProfiles)
			}
			cur = profile{}
			c.profiles[name] = cur
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fail(n, "want KEY = VALUE or [PROFILE]")
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if cur == nil {
			return nil, fail(n, "%s outside a profile: start with [default] or [NAME]", key)
		}
		if !slices.Contains(configKeys, key) {
			msg := fmt.Sprintf("unknown key %q", key)
			if near := nearest(key, configKeys, 3); near != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", near)
			}
			return nil, fail(n, "%s; the keys are %s", msg, strings.Join(configKeys, ", "))
		}
		if _, dup := cur[key]; dup {
			return nil, fail(n, "%s given twice in this profile", key)
		}
		if value == "" {
			return nil, fail(n, "%s has no value", key)
		}
		switch key {
		case "token-file", "data", "directory":
			value = expandPath(value, dir, home)
		}
		cur[key] = value
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fail(n+1, "line longer than %d bytes", maxConfigLine)
		}
		return nil, fail(0, "%v", err)
	}
	return c, nil
}

// expandPath makes a path of the configuration file usable from any folder.
func expandPath(p, dir, home string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok && home != "" {
		return filepath.Join(home, rest)
	}
	if !filepath.IsAbs(p) && dir != "" {
		return filepath.Join(dir, p)
	}
	return p
}

// configPath is where the configuration file is looked for: $XDG_CONFIG_HOME/evx/config, else
// the user's configuration folder (os.UserConfigDir: ~/.config on Linux).
func configPath() string {
	if x := os.Getenv("XDG_CONFIG_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "evx", "config")
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "evx", "config")
}

// loadProfile returns the chosen profile of the configuration file: name when given (it
// must exist), else [default] if the file has it. A missing file is no profile and no
// error, unless a profile was named.
func loadProfile(name string) (profile, string, error) {
	path := configPath()
	if path == "" {
		if name != "" {
			return nil, "", fmt.Errorf("profile %q: no configuration folder (set $XDG_CONFIG_HOME or $HOME)", name)
		}
		return nil, "", nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		if name != "" {
			return nil, path, fmt.Errorf("profile %q: there is no configuration file %s (docs/cli-config.md describes it)", name, path)
		}
		return nil, path, nil
	}
	if err != nil {
		return nil, path, &ConfigError{Path: path, Reason: err.Error()}
	}
	defer f.Close()
	home, _ := os.UserHomeDir()
	c, err := parseConfig(path, f, filepath.Dir(path), home)
	if err != nil {
		return nil, path, err
	}
	if name == "" {
		return c.profiles["default"], path, nil
	}
	p, ok := c.profiles[name]
	if !ok {
		var names []string
		for n := range c.profiles {
			names = append(names, n)
		}
		slices.Sort(names)
		return nil, path, &ConfigError{Path: path, Reason: fmt.Sprintf("no profile [%s]; it has %s", name, or(strings.Join(names, ", "), "none"))}
	}
	return p, path, nil
}

// maxTokenFile bounds a token file.
const maxTokenFile = 4 << 10

// readTokenFile reads a bearer token from a file: its first non-empty line, trimmed. The file
// must be readable by its owner only, as a token in it is a password.
func readTokenFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("token file %s is not a regular file", path)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("token file %s has permissions %04o; it must be readable by its owner only: chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	raw, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		return "", fmt.Errorf("token file %s: %w", path, err)
	}
	if len(raw) > maxTokenFile {
		return "", fmt.Errorf("token file %s is larger than %d bytes: it should hold one token", path, maxTokenFile)
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			if strings.ContainsAny(t, " \t") {
				return "", fmt.Errorf("token file %s: the token line holds spaces; put the token alone on its line", path)
			}
			return t, nil
		}
	}
	return "", fmt.Errorf("token file %s holds no token", path)
}
