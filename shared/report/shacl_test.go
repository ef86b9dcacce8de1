package report_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evx-project/evx/shared/report"
)

// The CASE 1.4.0 and UCO 1.4.0 ontologies (their SHACL shapes included) are in
// testdata/caseuco/ontology, as released (see testdata/caseuco/SOURCE.md); validate.mjs applies
// them with shacl-engine, as case-utils' case_validate applies them with pySHACL.
const caseUCODir = "testdata/caseuco"

// shaclResult is one result of validate.mjs.
type shaclResult struct {
	Severity    string   `json:"severity"`
	FocusNode   string   `json:"focusNode"`
	Path        string   `json:"path"`
	Value       string   `json:"value"`
	SourceShape string   `json:"sourceShape"`
	Constraint  string   `json:"constraint"`
	Message     []string `json:"message"`
}

type shaclReport struct {
	Conforms          bool          `json:"conforms"`
	Results           []shaclResult `json:"results"`
	UndefinedConcepts []string      `json:"undefinedConcepts"`
}

// shaclValidator returns a folder holding validate.mjs and its node_modules, installing
// them with npm ci from testdata/caseuco/package-lock.json into evx's cache folder
// ($EVX_CACHE, else the user cache folder's evx/) the first time.
func shaclValidator(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not installed: the CASE/UCO SHACL check needs node (20 or later) and npm")
	}
	lock, err := os.ReadFile(filepath.Join(caseUCODir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	cache := os.Getenv("EVX_CACHE")
	if cache == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			t.Fatalf("no cache folder for the SHACL validator's packages: %v (set $EVX_CACHE)", err)
		}
		cache = filepath.Join(base, "evx")
	}
	sum := sha256.Sum256(lock)
	mods := filepath.Join(cache, "caseuco-shacl-"+hex.EncodeToString(sum[:6]))
	if _, err := os.Stat(filepath.Join(mods, "node_modules", "shacl-engine", "package.json")); err != nil {
		if err := os.MkdirAll(mods, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"package.json", "package-lock.json"} {
			data, err := os.ReadFile(filepath.Join(caseUCODir, f))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(mods, f), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("installing shacl-engine into %s (npm ci, once)", mods)
		cmd := exec.Command("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund")
		cmd.Dir = mods
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", mods, err, out)
		}
	}
	// validate.mjs resolves its imports from its own folder: run a copy beside the modules.
	dir := t.TempDir()
	script, err := os.ReadFile(filepath.Join(caseUCODir, "validate.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "validate.mjs"), script, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(mods, "node_modules"), filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shacl validates JSON-LD documents, as one graph, against the CASE/UCO 1.4 shapes.
func shacl(t *testing.T, validator string, docs ...[]byte) shaclReport {
	t.Helper()
	var graph strings.Builder
	for _, doc := range docs {
		graph.WriteString(nquads(t, doc))
	}
	data := filepath.Join(t.TempDir(), "graph.nq")
	if err := os.WriteFile(data, []byte(graph.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	onto, _ := filepath.Abs(filepath.Join(caseUCODir, "ontology"))
	cmd := exec.Command("node", filepath.Join(validator, "validate.mjs"), onto, data)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node validate.mjs: %v\n%s", err, stderr.String())
	}
	var rep shaclReport
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("validate.mjs output: %v\n%s", err, out)
	}
	return rep
}

// TestJSONLDConformsToCASEUCO checks what evx report writes, verified (with identifiers) and failed, against the
// official CASE 1.4.0 / UCO 1.4.0 shapes: no violation, no warning, no info, and no concept of
// their namespaces that they do not define. The two graphs are of different bundles, so their
// nodes differ and one validation checks both.
func TestJSONLDConformsToCASEUCO(t *testing.T) {
	validator := shaclValidator(t)
	tr, _, s := fixture(t)
	// The verified graph carries identifiers as observables too.
	verified, err := report.JSONLD(tr, verdictOf(t, tr, s), report.Options{Fonts: testFonts, Generated: genTime, Identifiers: testIdentifiers()})
	if err != nil {
		t.Fatal(err)
	}
	tr.BundleID += "-altered"
	tr.Events[0].Event.Details.Documents[0].Size++
	v := verdictOf(t, tr, s)
	if v.Verified || v.Failure == nil {
		t.Fatalf("altered trail verdict = %+v, want a failure", v)
	}
	failed, err := report.JSONLD(tr, v, report.Options{Fonts: testFonts, Generated: genTime})
	if err != nil {
		t.Fatal(err)
	}
	rep := shacl(t, validator, verified, failed)
	for _, r := range rep.Results {
		t.Errorf("%s: %s path %s value %q (%s, shape %s): %s", r.Severity, r.FocusNode, r.Path, r.Value, r.Constraint, r.SourceShape, strings.Join(r.Message, "; "))
	}
	for _, c := range rep.UndefinedConcepts {
		t.Errorf("concept not defined by CASE 1.4.0 / UCO 1.4.0: %s", c)
	}
	if !rep.Conforms && len(rep.Results) == 0 && len(rep.UndefinedConcepts) == 0 {
		t.Error("validate.mjs: conforms = false with no result")
	}
}

// TestCASEUCOShapesCatch makes sure the check can fail: a hash method typed with the
// vocabulary datatype (UCO 1.4 wants xsd:string), a node IRI without a UUID suffix and an
// undefined UCO property are each reported.
func TestCASEUCOShapesCatch(t *testing.T) {
	validator := shaclValidator(t)
	doc := []byte(`{
  "@context": {"uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
               "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
               "uco-vocabulary": "https://ontology.unifiedcyberontology.org/uco/vocabulary/",
               "xsd": "http://www.w3.org/2001/XMLSchema#"},
  "@graph": [{
    "@id": "urn:example:hash",
    "@type": "uco-types:Hash",
    "uco-types:hashMethod": {"@type": "uco-vocabulary:HashNameVocab", "@value": "SHA256"},
    "uco-types:hashValue": {"@type": "xsd:hexBinary", "@value": "00"},
    "uco-core:noSuchProperty": "x"
  }]
}`)
	rep := shacl(t, validator, doc)
	var warned, informed bool
	for _, r := range rep.Results {
		warned = warned || r.Severity == "Warning" && strings.HasSuffix(r.Path, "hashMethod")
		informed = informed || r.Severity == "Info" && r.FocusNode == "urn:example:hash"
	}
	if !warned || !informed {
		t.Errorf("results %+v: want a warning on hashMethod and an info on the IRI without UUID", rep.Results)
	}
	if len(rep.UndefinedConcepts) != 1 || !strings.HasSuffix(rep.UndefinedConcepts[0], "noSuchProperty") {
		t.Errorf("undefined concepts = %v, want uco-core:noSuchProperty", rep.UndefinedConcepts)
	}
	if rep.Conforms {
		t.Error("conforms = true, want false")
	}
}
