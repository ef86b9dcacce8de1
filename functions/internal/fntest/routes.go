package fntest

import (
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Route is one HTTP API route of template.yaml's ApiFunction, with the scopes it requires
// (none: anonymous).
type Route struct {
	Method, Path string
	Scopes       []string
}

// TemplateRoutes reads the api function's routes from template.yaml, so that a route added
// there is tested by every test that walks them (functions/api, functions/internal/e2e).
func TemplateRoutes(t *testing.T, root string) []Route {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources struct {
			ApiFunction struct {
				Properties struct {
					Events map[string]struct {
						Type       string `yaml:"Type"`
						Properties struct {
							Method string `yaml:"Method"`
							Path   string `yaml:"Path"`
							Auth   struct {
								Authorizer          string   `yaml:"Authorizer"`
								AuthorizationScopes []string `yaml:"AuthorizationScopes"`
							} `yaml:"Auth"`
						} `yaml:"Properties"`
					} `yaml:"Events"`
				} `yaml:"Properties"`
			} `yaml:"ApiFunction"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var rs []Route
	for name, ev := range doc.Resources.ApiFunction.Properties.Events {
		p := ev.Properties
		if ev.Type != "HttpApi" {
			t.Errorf("event %s: type %s, want HttpApi", name, ev.Type)
			continue
		}
		if p.Auth.Authorizer != "NONE" && len(p.Auth.AuthorizationScopes) == 0 {
			t.Errorf("route %s %s: authorized but with no scopes", p.Method, p.Path)
		}
		if p.Auth.Authorizer == "NONE" && p.Method+" "+p.Path != "GET /v1/checkpoint" && p.Method+" "+p.Path != "GET /v1/public-key" {
			t.Errorf("route %s %s is anonymous", p.Method, p.Path)
		}
		rs = append(rs, Route{Method: p.Method, Path: p.Path, Scopes: p.Auth.AuthorizationScopes})
	}
	if len(rs) < 13 {
		t.Fatalf("template.yaml has %d api routes, want at least 13", len(rs))
	}
	return rs
}
