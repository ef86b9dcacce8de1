package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// drOn are the parameters of a deployment with every disaster-recovery option on (and the
// parameters without defaults).
var drOn = map[string]string{
	"ReplicaBucketArn":      "arn:aws:s3:::evx-replica-eu-central-1",
	"ReplicaKeyArn":         "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
	"BackupTables":          "true",
	"BackupCopyVaultArn":    "arn:aws:backup:eu-central-1:123456789012:backup-vault:evx-tables-copy",
	"MultiRegionSigningKey": "true",
	"JwtIssuer":             "https://id.example.org", "JwtAudience": "evx",
	"KeyAdminRoleArn":   "arn:aws:iam::123456789012:role/evx-admin",
	"BreakGlassRoleArn": "arn:aws:iam::123456789012:role/evx-break-glass",
}

// drOff are the required parameters alone: every disaster-recovery option at its default.
var drOff = map[string]string{
	"JwtIssuer": "https://id.example.org", "JwtAudience": "evx",
	"KeyAdminRoleArn":   "arn:aws:iam::123456789012:role/evx-admin",
	"BreakGlassRoleArn": "arn:aws:iam::123456789012:role/evx-break-glass",
}

// deployed is the expansion as CloudFormation would create it with params (defaults for the
// rest): resources and outputs whose condition is false left out, Fn::If resolved,
// AWS::NoValue dropped. It resolves the condition functions template.yaml uses (Equals of a
// parameter and a string, Not, And, Or, Condition) and fails on any other.
func deployed(t *testing.T, tpl map[string]any, params map[string]string) map[string]any {
	t.Helper()
	val := map[string]string{}
	for name, p := range sub(tpl, "Parameters") {
		if d, ok := p.(map[string]any)["Default"]; ok {
			val[name] = fmt.Sprint(d)
		}
	}
	for k, v := range params {
		val[k] = v
	}
	conds := sub(tpl, "Conditions")
	memo := map[string]bool{}
	var cond func(v any) bool
	operand := func(v any) string {
		if s, ok := v.(string); ok {
			return s
		}
		if r := target(v); r != "" {
			if x, ok := val[r]; ok {
				return x
			}
		}
		t.Fatalf("condition operand %v: not a string or a parameter", v)
		return ""
	}
	cond = func(v any) bool {
		m, _ := v.(map[string]any)
		switch {
		case m["Fn::Equals"] != nil:
			l := list(m["Fn::Equals"])
			return operand(l[0]) == operand(l[1])
		case m["Fn::Not"] != nil:
			return !cond(list(m["Fn::Not"])[0])
		case m["Fn::And"] != nil:
			return !slices.ContainsFunc(list(m["Fn::And"]), func(c any) bool { return !cond(c) })
		case m["Fn::Or"] != nil:
			return slices.ContainsFunc(list(m["Fn::Or"]), cond)
		case m["Condition"] != nil:
			name := m["Condition"].(string)
			if r, ok := memo[name]; ok {
				return r
			}
			memo[name] = cond(conds[name])
			return memo[name]
		}
		t.Fatalf("condition %v: not resolved here", v)
		return false
	}
	named := func(name string) bool { return cond(map[string]any{"Condition": name}) }
	noValue := struct{}{}
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			if l, ok := x["Fn::If"].([]any); ok && len(x) == 1 {
				if named(l[0].(string)) {
					return walk(l[1])
				}
				return walk(l[2])
			}
			if x["Ref"] == "AWS::NoValue" {
				return noValue
			}
			out := map[string]any{}
			for k, e := range x {
				if w := walk(e); w != noValue {
					out[k] = w
				}
			}
			return out
		case []any:
			var out []any
			for _, e := range x {
				if w := walk(e); w != noValue {
					out = append(out, w)
				}
			}
			return out
		}
		return v
	}
	out := map[string]any{}
	for k, v := range tpl {
		out[k] = v
	}
	for _, section := range []string{"Resources", "Outputs"} {
		kept := map[string]any{}
		for name, r := range sub(tpl, section) {
			if c, ok := r.(map[string]any)["Condition"].(string); ok && !named(c) {
				continue
			}
			kept[name] = walk(r)
		}
		out[section] = kept
	}
	return out
}

// Disaster recovery is off by default and, when on, is what docs/aws-runbook.md describes:
// evidence/ and checkpoints/ replicate, without deletions, into the replica bucket as a role
// that can read those prefixes and write replicas and nothing else; the four tables are backed
// up daily into a locked, retained vault and copied to the other region's vault; a retained
// multi-Region signing key stands beside SigningKey, which never becomes multi-Region (that
// would replace it).
func TestExpandedDisasterRecovery(t *testing.T) {
	tpl := expanded(t)
	drOnly := []string{"ReplicationRole", "ReplicationPolicy", "ReplicationFailedAlarm", "TableBackupVault",
		"TableBackupPlan", "TableBackupRole", "TableBackupSelection", "TableBackupFailedAlarm", "ReplicableSigningKey"}

	off := sub(deployed(t, tpl, drOff), "Resources")
	for _, name := range drOnly {
		if off[name] != nil {
			t.Errorf("DR off: %s is deployed", name)
		}
	}
	if rc := props(sub(off, "EvidenceBucket"))["ReplicationConfiguration"]; rc != nil {
		t.Errorf("DR off: the evidence bucket replicates: %v", rc)
	}
	for _, table := range []string{"CustodyTable", "LogTable", "DeliveriesTable", "SentTable"} {
		if sub(props(sub(off, table)), "PointInTimeRecoverySpecification")["PointInTimeRecoveryEnabled"] != true {
			t.Errorf("%s: no point-in-time recovery", table)
		}
	}

	on := sub(deployed(t, tpl, drOn), "Resources")
	for _, name := range drOnly {
		if on[name] == nil {
			t.Errorf("DR on: no %s", name)
		}
	}
	rc := sub(props(sub(on, "EvidenceBucket")), "ReplicationConfiguration")
	if target(rc["Role"]) != "ReplicationRole" {
		t.Errorf("replication role %v, want ReplicationRole", rc["Role"])
	}
	var prefixes []string
	for _, r := range list(rc["Rules"]) {
		rule := r.(map[string]any)
		prefixes = append(prefixes, fmt.Sprint(sub(rule, "Filter")["Prefix"]))
		if sub(rule, "DeleteMarkerReplication")["Status"] != "Disabled" {
			t.Errorf("rule %v replicates deletions", rule["Id"])
		}
		dst := sub(rule, "Destination")
		if target(dst["Bucket"]) != "ReplicaBucketArn" || target(sub(dst, "EncryptionConfiguration")["ReplicaKmsKeyID"]) != "ReplicaKeyArn" {
			t.Errorf("rule %v: destination %v", rule["Id"], dst)
		}
	}
	if slices.Sort(prefixes); !slices.Equal(prefixes, []string{"checkpoints/", "evidence/"}) {
		t.Errorf("replicated prefixes %v, want checkpoints/ and evidence/", prefixes)
	}
	pol := props(sub(on, "ReplicationPolicy"))
	if target(pol["RoleName"]) != "ReplicationRole" {
		t.Errorf("ReplicationPolicy is on %v", pol["RoleName"])
	}
	if m := props(sub(on, "ReplicationRole"))["Policies"]; m != nil {
		t.Errorf("ReplicationRole has inline policies beside ReplicationPolicy: %v", m)
	}
	allowed := []string{"s3:GetReplicationConfiguration", "s3:ListBucket", "s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl",
		"s3:GetObjectVersionTagging", "s3:GetObjectRetention", "s3:GetObjectLegalHold", "s3:ReplicateObject", "s3:ReplicateTags",
		"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"}
	for _, s := range list(sub(pol, "PolicyDocument")["Statement"]) {
		st := s.(map[string]any)
		for _, a := range strs(st["Action"]) {
			if !slices.Contains(allowed, a) {
				t.Errorf("replication statement %v allows %s", st["Sid"], a)
			}
		}
		for _, r := range strs(st["Resource"]) {
			if r == "*" || strings.HasSuffix(r, ":*") {
				t.Errorf("replication statement %v names %s", st["Sid"], r)
			}
		}
		if slices.ContainsFunc(strs(st["Action"]), func(a string) bool { return strings.HasPrefix(a, "kms:") }) &&
			sub(sub(st, "Condition"), "StringEquals")["kms:ViaService"] == nil {
			t.Errorf("replication statement %v uses a key without kms:ViaService", st["Sid"])
		}
	}

	vault := sub(on, "TableBackupVault")
	if vault["DeletionPolicy"] != "Retain" || vault["UpdateReplacePolicy"] != "Retain" {
		t.Errorf("TableBackupVault is not retained")
	}
	if lock := sub(props(vault), "LockConfiguration"); num(lock["MinRetentionDays"]) < 35 || lock["ChangeableForDays"] == nil {
		t.Errorf("TableBackupVault lock %v: want compliance mode (ChangeableForDays) and at least 35 days", lock)
	}
	sel := sub(props(sub(on, "TableBackupSelection")), "BackupSelection")
	var tables []string
	for _, r := range list(sel["Resources"]) {
		tables = append(tables, target(r))
	}
	if slices.Sort(tables); !slices.Equal(tables, []string{"CustodyTable", "DeliveriesTable", "IdentifierIndexTable", "LogTable", "SentTable"}) {
		t.Errorf("backed-up tables %v, want all five", tables)
	}
	rules := list(sub(props(sub(on, "TableBackupPlan")), "BackupPlan")["BackupPlanRule"])
	if len(rules) != 1 || len(list(rules[0].(map[string]any)["CopyActions"])) != 1 ||
		target(list(rules[0].(map[string]any)["CopyActions"])[0].(map[string]any)["DestinationBackupVaultArn"]) != "BackupCopyVaultArn" {
		t.Errorf("backup plan rules %v: want one, copied to BackupCopyVaultArn", rules)
	}
	noCopy := map[string]string{"BackupTables": "true"}
	for k, v := range drOff {
		noCopy[k] = v
	}
	plan := sub(sub(deployed(t, tpl, noCopy), "Resources"), "TableBackupPlan")
	if c := list(sub(props(plan), "BackupPlan")["BackupPlanRule"])[0].(map[string]any)["CopyActions"]; c != nil {
		t.Errorf("backups without BackupCopyVaultArn copy to %v", c)
	}

	mrk := sub(on, "ReplicableSigningKey")
	if props(mrk)["MultiRegion"] != true || props(mrk)["KeySpec"] != "ECC_NIST_P256" || mrk["DeletionPolicy"] != "Retain" {
		t.Errorf("ReplicableSigningKey: %v", mrk)
	}
	if mr, ok := props(sub(on, "SigningKey"))["MultiRegion"]; ok {
		t.Errorf("SigningKey sets MultiRegion %v: changing it replaces the key", mr)
	}
	if !slices.Equal(strs(props(mrk)["KeyPolicy"].(map[string]any)["Statement"].([]any)[0].(map[string]any)["Action"]),
		strs(props(sub(on, "SigningKey"))["KeyPolicy"].(map[string]any)["Statement"].([]any)[0].(map[string]any)["Action"])) {
		t.Error("ReplicableSigningKey's administrators differ from SigningKey's")
	}
}

// cfnLintWith runs cfn-lint on the expansion with a parameter file of params.
func cfnLintWith(t *testing.T, params map[string]string) {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "expanded.json")
	if err := os.WriteFile(p, expandedB, 0o644); err != nil {
		t.Fatal(err)
	}
	var file []map[string]any
	for k, v := range params {
		var pv any = v
		if k == "JwtAudience" {
			pv = []string{v}
		}
		file = append(file, map[string]any{"ParameterKey": k, "ParameterValue": pv})
	}
	b, err := json.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	pf := filepath.Join(dir, "parameters.json")
	if err := os.WriteFile(pf, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cfn-lint", "--parameter-files", pf, "--", p).CombinedOutput(); err != nil {
		t.Errorf("cfn-lint on the expansion with %v: %v\n%s", params, err, out)
	}
}

// cfn-lint finds nothing in the expansion deployed with every disaster-recovery option on
// (TestExpandedLintsClean lints it with the defaults, all off).
func TestExpandedLintsCleanWithDisasterRecovery(t *testing.T) {
	expanded(t)
	if testing.Short() {
		t.Skip("cfn-lint takes half a minute")
	}
	if _, err := exec.LookPath("cfn-lint"); err != nil {
		t.Skip("cfn-lint not installed")
	}
	cfnLintWith(t, drOn)
}

// DirectUploads: by default only the api role may put under incoming/ of the uploads bucket
// (so every upload is a person of an agency and require_seal holds); "true" lifts that.
func TestExpandedUploadsOnlyThroughTheApi(t *testing.T) {
	tpl := expanded(t)
	denies := func(on map[string]any) bool {
		for _, s := range list(sub(props(sub(on, "UploadsBucketPolicy")), "PolicyDocument")["Statement"]) {
			st := s.(map[string]any)
			if st["Effect"] == "Deny" && st["Principal"] == "*" && slices.Equal(strs(st["Action"]), []string{"s3:PutObject"}) &&
				slices.Contains(strs(st["Resource"]), "${UploadsBucket.Arn}/incoming/*") &&
				target(sub(sub(st, "Condition"), "ArnNotEquals")["aws:PrincipalArn"]) == "ApiRole" {
				return true
			}
		}
		return false
	}
	if !denies(sub(deployed(t, tpl, drOff), "Resources")) {
		t.Error("by default the uploads bucket policy does not deny s3:PutObject on incoming/* to all but the api role")
	}
	on := map[string]string{"DirectUploads": "true"}
	for k, v := range drOff {
		on[k] = v
	}
	if denies(sub(deployed(t, tpl, on), "Resources")) {
		t.Error(`DirectUploads "true" still denies direct uploads`)
	}
}

// PagesOrigin: the uploads bucket answers CORS only when it is set, and then for PUT alone
// (a part to a presigned UploadPart URL), from that origin alone, with the headers such a
// URL signs; nothing is opened to a browser by default.
func TestExpandedUploadsCORSOnlyForPagesPuts(t *testing.T) {
	tpl := expanded(t)
	if c, ok := props(sub(sub(deployed(t, tpl, drOff), "Resources"), "UploadsBucket"))["CorsConfiguration"]; ok {
		t.Errorf("by default the uploads bucket has CORS %v, want none", c)
	}
	on := map[string]string{"PagesOrigin": "https://evx.example.org"}
	for k, v := range drOff {
		on[k] = v
	}
	rules := list(sub(props(sub(sub(deployed(t, tpl, on), "Resources"), "UploadsBucket")), "CorsConfiguration")["CorsRules"])
	if len(rules) != 1 {
		t.Fatalf("CORS rules %v, want one", rules)
	}
	r := rules[0].(map[string]any)
	if m, o := strs(r["AllowedMethods"]), r["AllowedOrigins"]; !slices.Equal(m, []string{"PUT"}) || len(list(o)) != 1 || target(list(o)[0]) != "PagesOrigin" {
		t.Errorf("CORS rule allows %v from %v, want PUT from PagesOrigin alone", m, o)
	}
	for _, h := range strs(r["AllowedHeaders"]) {
		if !strings.HasPrefix(h, "x-amz-checksum-") && h != "x-amz-sdk-checksum-algorithm" {
			t.Errorf("CORS rule allows header %q, want only those a presigned part URL signs", h)
		}
	}
	if _, ok := r["ExposedHeaders"]; ok {
		t.Errorf("CORS rule exposes %v, want nothing", r["ExposedHeaders"])
	}
}
