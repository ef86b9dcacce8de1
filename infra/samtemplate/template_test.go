package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7"
	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/evx-project/evx/shared/backend/aws/sqsqueue"
	"github.com/evx-project/evx/shared/pipeline"
	"go.yaml.in/yaml/v3"
)

// The checks here are what cfn-lint cannot know: references resolve, the generated section is
// current, functions exist on disk, and the template keeps evx's custody promises.

const root = "../.."

// raw is template.yaml as plain values, short-form tags turned into their long forms
// (!Ref x -> {"Ref": x}, !GetAtt a.b -> {"Fn::GetAtt": [a, b]}, !Sub s -> {"Fn::Sub": s}).
func raw(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil {
		t.Fatal(err)
	}
	v, err := plain(&n)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("template is %T, want a map", v)
	}
	return m
}

func plain(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		return plain(n.Content[0])
	case yaml.AliasNode:
		return plain(n.Alias)
	}
	var v any
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			x, err := plain(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = x
		}
		v = m
	case yaml.SequenceNode:
		l := []any{}
		for _, c := range n.Content {
			x, err := plain(c)
			if err != nil {
				return nil, err
			}
			l = append(l, x)
		}
		v = l
	default:
		v = n.Value
		var typed any
		if (n.Tag == "!!bool" || n.Tag == "!!int" || n.Tag == "!!float") && n.Decode(&typed) == nil {
			v = typed
		}
	}
	tag := n.Tag
	if !strings.HasPrefix(tag, "!") || strings.HasPrefix(tag, "!!") {
		return v, nil
	}
	name := tag[1:]
	switch name {
	case "Ref", "Condition":
		return map[string]any{name: v}, nil
	case "GetAtt":
		if s, ok := v.(string); ok {
			res, attr, found := strings.Cut(s, ".")
			if !found {
				return nil, fmt.Errorf("line %d: !GetAtt %q has no attribute", n.Line, s)
			}
			v = []any{res, attr}
		}
	}
	return map[string]any{"Fn::" + name: v}, nil
}

// cfnTemplate is the template's plain CloudFormation resources as goformation parses them (the
// AWS::Serverless ones and Globals left out: goformation v7 knows no LoggingConfig nor
// AccessLogSettings on them, and the expansion tests see them as SAM writes them).
func cfnTemplate(t *testing.T) *cloudformation.Template {
	t.Helper()
	m := raw(t)
	delete(m, "Globals")
	delete(m, "Transform")
	res := map[string]any{}
	for name, r := range sub(m, "Resources") {
		if ty, _ := r.(map[string]any)["Type"].(string); !strings.HasPrefix(ty, "AWS::Serverless::") {
			res[name] = r
		}
	}
	m["Resources"] = res
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := goformation.ParseJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func sub(m map[string]any, key string) map[string]any {
	s, _ := m[key].(map[string]any)
	return s
}

// pseudo lists CloudFormation's pseudo parameters.
var pseudo = []string{"AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition",
	"AWS::Region", "AWS::StackId", "AWS::StackName", "AWS::URLSuffix"}

var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

// refs walks v and calls found for every name a Ref, GetAtt or Sub points at.
func refs(v any, path string, found func(path, kind, name string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			switch k {
			case "Ref":
				if s, ok := c.(string); ok {
					found(path, "Ref", s)
				}
			case "Fn::GetAtt":
				if l, ok := c.([]any); ok && len(l) == 2 {
					if s, ok := l[0].(string); ok {
						found(path, "GetAtt", s)
					}
				}
			case "Fn::Sub":
				str, vars := "", map[string]any{}
				switch s := c.(type) {
				case string:
					str = s
				case []any:
					if len(s) == 2 {
						str, _ = s[0].(string)
						vars, _ = s[1].(map[string]any)
					}
				}
				for _, m := range subVar.FindAllStringSubmatch(str, -1) {
					name := m[1]
					if strings.HasPrefix(name, "!") {
						continue // ${!Literal}
					}
					if _, ok := vars[name]; ok {
						continue
					}
					res, _, _ := strings.Cut(name, ".")
					if strings.HasPrefix(name, "AWS::") {
						res = name
					}
					found(path, "Sub", res)
				}
			}
			refs(c, path+"/"+k, found)
		}
	case []any:
		for i, c := range x {
			refs(c, fmt.Sprintf("%s/%d", path, i), found)
		}
	}
}

func TestReferencesResolve(t *testing.T) {
	tpl := raw(t)
	params, resources, conditions := sub(tpl, "Parameters"), sub(tpl, "Resources"), sub(tpl, "Conditions")
	if len(resources) == 0 {
		t.Fatal("no resources")
	}
	n := 0
	refs(tpl, "", func(path, kind, name string) {
		n++
		_, isParam := params[name]
		_, isRes := resources[name]
		ok := isRes || (kind != "GetAtt" && (isParam || slices.Contains(pseudo, name)))
		if !ok {
			t.Errorf("%s: %s %s names nothing in the template", path, kind, name)
		}
	})
	if n < 50 {
		t.Errorf("found only %d references: the walk is broken", n)
	}
	// Condition and DependsOn targets.
	for name, r := range resources {
		rm, _ := r.(map[string]any)
		if c, ok := rm["Condition"].(string); ok {
			if _, ok := conditions[c]; !ok {
				t.Errorf("%s: condition %s is not defined", name, c)
			}
		}
		var deps []any
		switch d := rm["DependsOn"].(type) {
		case string:
			deps = []any{d}
		case []any:
			deps = d
		}
		for _, d := range deps {
			if _, ok := resources[d.(string)]; !ok {
				t.Errorf("%s: DependsOn %v names no resource", name, d)
			}
		}
	}
}

// TestReferenceWalk feeds the walk a template with one broken reference of each kind.
func TestReferenceWalk(t *testing.T) {
	src := `
Resources:
  A: {Type: X, Properties: {P: !Ref Missing1, Q: !GetAtt Missing2.Arn, R: !Sub "${Missing3.Arn}-${AWS::Region}-${!Lit}-${V}", S: !Sub ["${V}", {V: x}], T: !Ref A}}
`
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
	v, err := plain(&n)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	refs(v, "", func(_, kind, name string) { got = append(got, kind+" "+name) })
	sort.Strings(got)
	want := []string{"GetAtt Missing2", "Ref A", "Ref Missing1", "Sub AWS::Region", "Sub Missing3", "Sub V"}
	if !slices.Equal(got, want) {
		t.Errorf("refs = %q, want %q", got, want)
	}
}

func TestGeneratedQueuesCurrent(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"-check", "-template", filepath.Join(root, "template.yaml"),
		"-counterparts", filepath.Join(root, "infra/counterparts.yaml")}, &out, &errb)
	if code != 0 {
		t.Fatalf("samtemplate -check = %d: %s", code, errb.String())
	}
	// Every counterpart of the directory has its queue, DLQ and alarm.
	dir, err := os.ReadFile(filepath.Join(root, "infra/counterparts.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ids, err := counterpartIDs(dir)
	if err != nil {
		t.Fatal(err)
	}
	resources := sub(raw(t), "Resources")
	for _, id := range ids {
		for _, r := range []string{"CounterpartQueue", "CounterpartDeadLetterQueue", "CounterpartDeadLetterAlarm"} {
			if _, ok := resources[r+logicalID(id)]; !ok {
				t.Errorf("counterpart %s: no %s%s", id, r, logicalID(id))
			}
		}
	}
}

func TestCounterpartIDs(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string // nil: an error
	}{
		{"map", "counterparts:\n  - {id: nl-om}\n  - {id: de-bka}\n", []string{"de-bka", "nl-om"}},
		{"list", "- {id: x_1}\n", []string{"x_1"}},
		{"empty", "counterparts: []\n", nil},
		{"bad-name", "- {id: a.b}\n", nil},
		{"too-long", "- {id: " + strings.Repeat("a", maxID+1) + "}\n", nil},
		{"clash", "- {id: nl-om}\n- {id: nl_om}\n", nil},
		{"not-yaml", "{", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := counterpartIDs([]byte(tc.src))
			if tc.want == nil {
				if err == nil {
					t.Errorf("counterpartIDs = %q, want an error", got)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("counterpartIDs = %q, %v, want %q", got, err, tc.want)
			}
		})
	}
}

func TestLogicalID(t *testing.T) {
	for in, want := range map[string]string{"nl-om": "NlOm", "de_bka": "DeBka", "x": "X", "a-1b": "A1b", "US-DEA": "USDEA"} {
		if got := logicalID(in); got != want {
			t.Errorf("logicalID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReplaceSectionNeedsMarkers(t *testing.T) {
	if _, err := replaceSection([]byte("Resources: {}\n"), beginMarker, endMarker, "x"); err == nil {
		t.Error("replaceSection without markers = nil error")
	}
	if _, err := rewrite([]byte("Resources: {}\n"), []pipeline.Counterpart{{ID: "a"}}); err == nil {
		t.Error("rewrite without markers = nil error")
	}
	in := []byte("a\n" + beginMarker + "\nold\n" + endMarker + "\nb\n")
	out, err := replaceSection(in, beginMarker, endMarker, section([]pipeline.Counterpart{{ID: "x"}}))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out, []byte("a\n"+beginMarker)) || !bytes.HasSuffix(out, []byte(endMarker+"\nb\n")) || bytes.Contains(out, []byte("\nold\n")) {
		t.Errorf("replaceSection kept or lost the wrong lines:\n%s", out)
	}
}

// A counterpart with its own AWS account gets a statement naming that account on its queues;
// one without, none.
func TestSectionCounterpartAccount(t *testing.T) {
	out := section([]pipeline.Counterpart{{ID: "a-b", AWSAccount: "210987654321"}, {ID: "c"}})
	if n := strings.Count(out, "CounterpartAccountReads"); n != 1 {
		t.Errorf("%d CounterpartAccountReads statements, want 1:\n%s", n, out)
	}
	if !strings.Contains(out, `iam::210987654321:root`) {
		t.Errorf("no principal for account 210987654321:\n%s", out)
	}
	if _, err := counterparts([]byte("- {id: a, aws_account: \"12\"}\n")); err == nil {
		t.Error("counterparts accepted an aws_account of 2 digits")
	}
}

func TestTemplateFunctions(t *testing.T) {
	fns, err := templateFunctions([]byte("Globals: {Function: {Timeout: 60}}\nResources:\n  B: {Type: AWS::Serverless::Function, Properties: {Timeout: 900}}\n  A: {Type: AWS::Serverless::Function}\n  Q: {Type: AWS::SQS::Queue}\n"))
	if want := []function{{"A", 60}, {"B", 900}}; err != nil || !slices.Equal(fns, want) {
		t.Errorf("templateFunctions = %v, %v, want %v", fns, err, want)
	}
	if _, err := templateFunctions([]byte("Resources:\n  A: {Type: AWS::Serverless::Function}\n")); err == nil {
		t.Error("templateFunctions without any Timeout = nil error")
	}
	if !strings.Contains(alarmSection([]function{{"A", 900}}), "Threshold: 720000") {
		t.Error("the duration alarm of a 900 s function does not fire at 720000 ms")
	}
}

// roleOf returns the logical id of the AWS::IAM::Role a function runs as (its Role property
// names one of the template's roles: SAM's generated roles attach managed policies broader
// than the function needs).
func roleOf(t *testing.T, tpl map[string]any, name string, fn map[string]any) string {
	t.Helper()
	props := sub(fn, "Properties")
	if _, ok := props["Policies"]; ok {
		t.Errorf("%s: Policies beside Role (SAM ignores them): put every statement in its role", name)
	}
	ga, _ := sub(props, "Role")["Fn::GetAtt"].([]any)
	if len(ga) != 2 || ga[1] != "Arn" {
		t.Errorf("%s: Role %v, want !GetAtt <a role of this template>.Arn", name, props["Role"])
		return ""
	}
	role, _ := ga[0].(string)
	if r := sub(sub(tpl, "Resources"), role); r["Type"] != "AWS::IAM::Role" {
		t.Errorf("%s: Role names %s, which is no AWS::IAM::Role", name, role)
		return ""
	}
	return role
}

// statements returns the policy statements of a function's role: inline policy documents
// only, no managed policy.
func statements(t *testing.T, tpl map[string]any, name string, fn map[string]any) []map[string]any {
	t.Helper()
	role := roleOf(t, tpl, name, fn)
	if role == "" {
		return nil
	}
	props := sub(sub(sub(tpl, "Resources"), role), "Properties")
	if m, ok := props["ManagedPolicyArns"]; ok {
		t.Errorf("%s: managed policies %v are not least privilege", role, m)
	}
	var out []map[string]any
	pols, _ := props["Policies"].([]any)
	if len(pols) == 0 {
		t.Errorf("%s: no inline policy", role)
	}
	for _, p := range pols {
		doc := sub(p.(map[string]any), "PolicyDocument")
		st, ok := doc["Statement"].([]any)
		if !ok {
			t.Errorf("%s: policy %v has no statements", role, p)
			continue
		}
		for _, s := range st {
			out = append(out, s.(map[string]any))
		}
	}
	return out
}

func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var s []string
		for _, e := range x {
			s = append(s, strs(e)...)
		}
		return s
	case map[string]any:
		// An intrinsic: its referenced names stand for it.
		var s []string
		refs(x, "", func(_, _, name string) { s = append(s, name) })
		if lit, ok := x["Fn::Sub"].(string); ok {
			s = append(s, lit)
		}
		return s
	}
	return nil
}

// actionMatches reports whether an IAM action pattern (with * and ?) covers action.
func actionMatches(pattern, action string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(strings.ToLower(pattern))) + "$"
	return regexp.MustCompile(re).MatchString(strings.ToLower(action))
}

var (
	custodyForbidden  = []string{"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete", "dynamodb:DeleteTable"}
	evidenceForbidden = []string{"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:BypassGovernanceRetention", "s3:PutBucketObjectLockConfiguration"}
)

// retentionSetters are the functions that set Object Lock retention, on evidence/ only: the
// ingest function, on the documents of a bundle it accepts, and the audit function, on the
// documents a preservation order covers (it may only lengthen a lock: no bypass).
var retentionSetters = map[string]bool{"IngestFunction": true, "AuditFunction": true}

// disposers delete versions of documents, on evidence/ only: the audit function, disposing of
// the documents of bundles whose disposal is authorised (Object Lock refuses retained ones).
var disposers = map[string]bool{"AuditFunction": true}

func functions(t *testing.T, tpl map[string]any) map[string]map[string]any {
	t.Helper()
	fns := map[string]map[string]any{}
	for name, r := range sub(tpl, "Resources") {
		rm := r.(map[string]any)
		if rm["Type"] == "AWS::Serverless::Function" || rm["Type"] == "AWS::Lambda::Function" {
			fns[name] = rm
		}
	}
	if len(fns) < 5 {
		t.Fatalf("%d functions in the template, want ingest, route, api, audit and sweep", len(fns))
	}
	return fns
}

// No function may update or delete a custody item or delete an evidence object: no Allow
// statement grants it (directly or by wildcard) on the custody table, the bucket or "*", and
// every function carries explicit Denies for it.
func TestLeastPrivilege(t *testing.T) {
	tpl := raw(t)
	for name, fn := range functions(t, tpl) {
		denied := map[string]bool{}
		for _, st := range statements(t, tpl, name, fn) {
			res := strs(st["Resource"])
			acts := strs(st["Action"])
			if _, ok := st["NotAction"]; ok {
				t.Errorf("%s: NotAction grants everything but a list", name)
			}
			onCustody := slices.Contains(res, "CustodyTable") || slices.Contains(res, "*")
			onBucket := slices.Contains(res, "EvidenceBucket") || slices.Contains(res, "*")
			for _, a := range acts {
				for _, f := range custodyForbidden {
					if !actionMatches(a, f) {
						continue
					}
					switch st["Effect"] {
					case "Allow":
						if onCustody {
							t.Errorf("%s: statement %v allows %s on the custody table", name, st["Sid"], f)
						}
					case "Deny":
						if slices.Contains(res, "CustodyTable") {
							denied[f] = true
						}
					}
				}
				for _, f := range evidenceForbidden {
					if !actionMatches(a, f) {
						continue
					}
					switch st["Effect"] {
					case "Allow":
						if f == "s3:PutObjectRetention" && retentionSetters[name] && slices.Equal(res, []string{"EvidenceBucket", "${EvidenceBucket.Arn}/evidence/*"}) {
							continue // accepted documents only
						}
						if f == "s3:DeleteObjectVersion" && disposers[name] && slices.Equal(res, []string{"EvidenceBucket", "${EvidenceBucket.Arn}/evidence/*"}) {
							continue // documents only, never checkpoints
						}
						if onBucket {
							t.Errorf("%s: statement %v allows %s on the evidence bucket", name, st["Sid"], f)
						}
					case "Deny":
						if slices.Contains(res, "EvidenceBucket") {
							denied[f] = true
						}
					}
				}
			}
		}
		for _, f := range append(slices.Clone(custodyForbidden), evidenceForbidden...) {
			if f == "s3:PutObjectRetention" && retentionSetters[name] {
				continue
			}
			if f == "s3:DeleteObjectVersion" && disposers[name] {
				continue // denied on the bucket and checkpoints/ (checked above), allowed on evidence/
			}
			if !denied[f] {
				t.Errorf("%s: no explicit Deny of %s", name, f)
			}
		}
	}
}

func TestActionMatches(t *testing.T) {
	for _, tc := range []struct {
		pattern, action string
		want            bool
	}{
		{"dynamodb:UpdateItem", "dynamodb:UpdateItem", true},
		{"dynamodb:updateitem", "dynamodb:UpdateItem", true},
		{"dynamodb:*", "dynamodb:DeleteItem", true},
		{"*", "s3:DeleteObject", true},
		{"s3:Delete*", "s3:DeleteObjectVersion", true},
		{"s3:DeleteObject", "s3:DeleteObjectVersion", false},
		{"dynamodb:PutItem", "dynamodb:UpdateItem", false},
		{"dynamodb:?pdateItem", "dynamodb:UpdateItem", true},
	} {
		if got := actionMatches(tc.pattern, tc.action); got != tc.want {
			t.Errorf("actionMatches(%q, %q) = %v, want %v", tc.pattern, tc.action, got, tc.want)
		}
	}
}

// The evidence bucket as goformation parses it: versioned, Object Lock on with no default
// retention (the ingest function locks each accepted document; extracts, checkpoints and the
// documents of a rejected bag stay unlocked), SSE-KMS, public access blocked; and a TLS-only
// policy that also refuses retention changes to everyone but the ingest role.
func TestEvidenceBucket(t *testing.T) {
	tpl := cfnTemplate(t)
	b, err := tpl.GetS3BucketWithName("EvidenceBucket")
	if err != nil {
		t.Fatal(err)
	}
	if b.ObjectLockEnabled == nil || !*b.ObjectLockEnabled {
		t.Error("ObjectLockEnabled is not true")
	}
	olc := b.ObjectLockConfiguration
	if olc == nil || olc.ObjectLockEnabled == nil || *olc.ObjectLockEnabled != "Enabled" {
		t.Errorf("ObjectLockConfiguration = %+v, want Enabled", olc)
	}
	if olc != nil && olc.Rule != nil {
		t.Errorf("ObjectLockConfiguration.Rule = %+v, want none: a default retention locks extracts and junk too", olc.Rule)
	}
	if b.VersioningConfiguration == nil || b.VersioningConfiguration.Status != "Enabled" {
		t.Error("versioning is not enabled")
	}
	pab := b.PublicAccessBlockConfiguration
	if pab == nil || pab.BlockPublicAcls == nil || !*pab.BlockPublicAcls || pab.BlockPublicPolicy == nil || !*pab.BlockPublicPolicy ||
		pab.IgnorePublicAcls == nil || !*pab.IgnorePublicAcls || pab.RestrictPublicBuckets == nil || !*pab.RestrictPublicBuckets {
		t.Errorf("public access block = %+v, want all four on", pab)
	}
	enc := b.BucketEncryption
	if enc == nil || len(enc.ServerSideEncryptionConfiguration) == 0 ||
		enc.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault == nil ||
		enc.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm != "aws:kms" {
		t.Errorf("bucket encryption = %+v, want aws:kms", enc)
	}

	// TLS only: a Deny on aws:SecureTransport false over the bucket and its objects.
	rawTpl := raw(t)
	pol := sub(sub(sub(rawTpl, "Resources"), "EvidenceBucketPolicy"), "Properties")
	doc := sub(pol, "PolicyDocument")
	found := false
	for _, s := range doc["Statement"].([]any) {
		st := s.(map[string]any)
		cond := sub(sub(st, "Condition"), "Bool")
		if st["Effect"] == "Deny" && cond["aws:SecureTransport"] == "false" && st["Principal"] == "*" {
			found = true
		}
	}
	if !found {
		t.Error("the bucket policy has no Deny for requests without TLS")
	}
	retention := false
	for _, s := range doc["Statement"].([]any) {
		st := s.(map[string]any)
		cond := strs(sub(sub(st, "Condition"), "ArnNotEquals")["aws:PrincipalArn"])
		if st["Effect"] == "Deny" && st["Principal"] == "*" && slices.Contains(strs(st["Action"]), "s3:PutObjectRetention") &&
			slices.Contains(cond, "IngestRole") && slices.Contains(cond, "AuditRole") && len(cond) == 3 && slices.Contains(cond, "BreakGlassRoleArn") {
			retention = true
		}
	}
	if !retention {
		t.Error("the evidence bucket policy does not deny s3:PutObjectRetention to all but the ingest and audit roles (and break glass)")
	}
	// Deletion: by the audit role alone (disposal), whatever IAM grants elsewhere.
	disposal := false
	for _, s := range doc["Statement"].([]any) {
		st := s.(map[string]any)
		cond := strs(sub(sub(st, "Condition"), "ArnNotEquals")["aws:PrincipalArn"])
		acts := strs(st["Action"])
		if st["Effect"] == "Deny" && st["Principal"] == "*" && slices.Contains(acts, "s3:DeleteObjectVersion") && slices.Contains(acts, "s3:DeleteObject") &&
			slices.Equal(cond, []string{"AuditRole", "BreakGlassRoleArn"}) {
			disposal = true
		}
	}
	if !disposal {
		t.Error("the evidence bucket policy does not deny s3:DeleteObject and s3:DeleteObjectVersion to all but the audit role (and break glass)")
	}
}

// Tables are retained, protected from deletion, encrypted with the data key and keep
// point-in-time recovery; the custody table is keyed (bundle, seq).
func TestTables(t *testing.T) {
	tpl := cfnTemplate(t)
	tables := tpl.GetAllDynamoDBTableResources()
	rawRes := sub(raw(t), "Resources")
	for _, name := range []string{"CustodyTable", "LogTable", "DeliveriesTable", "SentTable", "IdentifierIndexTable"} {
		tb, ok := tables[name]
		if !ok {
			t.Errorf("no %s", name)
			continue
		}
		if r := sub(rawRes, name); r["DeletionPolicy"] != "Retain" || r["UpdateReplacePolicy"] != "Retain" {
			t.Errorf("%s: DeletionPolicy %v, UpdateReplacePolicy %v, want Retain and Retain", name, r["DeletionPolicy"], r["UpdateReplacePolicy"])
		}
		if tb.DeletionProtectionEnabled == nil || !*tb.DeletionProtectionEnabled {
			t.Errorf("%s: deletion protection is off", name)
		}
		if k := strs(sub(sub(sub(rawRes, name), "Properties"), "SSESpecification")["KMSMasterKeyId"]); !slices.Equal(k, []string{"DataKey"}) {
			t.Errorf("%s: not encrypted with the data key", name)
		}
		if tb.PointInTimeRecoverySpecification == nil || tb.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled == nil ||
			!*tb.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled {
			t.Errorf("%s: point-in-time recovery is off", name)
		}
	}
	c := tables["CustodyTable"]
	var keys []string
	for _, k := range c.KeySchema {
		keys = append(keys, k.AttributeName+":"+k.KeyType)
	}
	if want := []string{"bundle:HASH", "seq:RANGE"}; !slices.Equal(keys, want) {
		t.Errorf("custody table key = %q, want %q", keys, want)
	}
}

// Every function: provided.al2023 on arm64 with a bootstrap handler, built by a makefile
// target, logging JSON (from Globals or its own properties).
func TestFunctionSettings(t *testing.T) {
	tpl := raw(t)
	globals := sub(sub(tpl, "Globals"), "Function")
	for name, fn := range functions(t, tpl) {
		props := sub(fn, "Properties")
		get := func(k string) any {
			if v, ok := props[k]; ok {
				return v
			}
			return globals[k]
		}
		if get("Runtime") != "provided.al2023" {
			t.Errorf("%s: Runtime %v, want provided.al2023", name, get("Runtime"))
		}
		if a := strs(get("Architectures")); !slices.Equal(a, []string{"arm64"}) {
			t.Errorf("%s: Architectures %v, want [arm64]", name, a)
		}
		if get("Handler") != "bootstrap" {
			t.Errorf("%s: Handler %v, want bootstrap", name, get("Handler"))
		}
		if lc, _ := get("LoggingConfig").(map[string]any); lc["LogFormat"] != "JSON" {
			t.Errorf("%s: LoggingConfig %v, want LogFormat JSON", name, get("LoggingConfig"))
		}
		if sub(fn, "Metadata")["BuildMethod"] != "makefile" {
			t.Errorf("%s: Metadata.BuildMethod %v, want makefile", name, sub(fn, "Metadata")["BuildMethod"])
		}
	}
}

// Every function's CodeUri is a folder of the module. The function hosts are written with
// the pipeline use cases; until then this check names the folders it misses and skips.
func TestFunctionFolders(t *testing.T) {
	var missing []string
	for name, fn := range functions(t, raw(t)) {
		uri, ok := sub(fn, "Properties")["CodeUri"].(string)
		if !ok || uri == "" || strings.Contains(uri, "..") || filepath.IsAbs(uri) {
			t.Errorf("%s: CodeUri %v, want a folder inside the module", name, sub(fn, "Properties")["CodeUri"])
			continue
		}
		st, err := os.Stat(filepath.Join(root, uri))
		if err != nil || !st.IsDir() {
			missing = append(missing, uri)
			continue
		}
		if _, err := os.Stat(filepath.Join(root, uri, "main.go")); err != nil {
			t.Errorf("%s: %s has no main.go", name, uri)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		t.Errorf("function folders missing: %s", strings.Join(missing, ", "))
	}
}

// Every function folder has the Makefile target SAM's makefile build method calls, and builds
// through functions/lambda.mk.
func TestFunctionMakefiles(t *testing.T) {
	for name, fn := range functions(t, raw(t)) {
		uri, _ := sub(fn, "Properties")["CodeUri"].(string)
		mk, err := os.ReadFile(filepath.Join(root, uri, "Makefile"))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !strings.Contains(string(mk), "\nbuild-"+name+":") {
			t.Errorf("%s: %s/Makefile has no target build-%s", name, uri, name)
		}
		// The build flags (and so the bootstrap's size) come from one place.
		if !strings.Contains(string(mk), "\ninclude ../lambda.mk\n") || strings.Contains(string(mk), "go build") {
			t.Errorf("%s: %s/Makefile builds on its own instead of through functions/lambda.mk", name, uri)
		}
	}
}

// The counterpart queues carry the SQS names the route function sends to: package sqsqueue's
// spelling of pipeline.QueueName(id), after the stack's Prefix.
func TestCounterpartQueueNamesMatchTheRouter(t *testing.T) {
	tpl, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"nl-om", "es-fge", "co-fgn", "pt-pj"} {
		want := `QueueName: !Sub "` + sqsqueue.QueueName("${Prefix}", pipeline.QueueName(id)) + `"`
		if !strings.Contains(string(tpl), want) {
			t.Errorf("template.yaml lacks %s", want)
		}
	}
}

// A sending-only agency (role: send) is in the directory for its seal keys and its uploaders;
// evx never delivers to it, so it gets no queue.
func TestCounterpartsOnlyReceivers(t *testing.T) {
	cps, err := counterparts([]byte("counterparts:\n  - {id: nl-pol, role: send}\n  - {id: nl-om}\n  - {id: es-fge, role: both}\n"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range cps {
		ids = append(ids, c.ID)
	}
	if strings.Join(ids, " ") != "es-fge nl-om" {
		t.Errorf("queues for %v, want es-fge nl-om", ids)
	}
}
