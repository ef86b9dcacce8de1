package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// The tests here read the template as aws-sam-translator expands it (expand.py): the
// CloudFormation SAM deploys, with the roles, event source mappings, rules and the HTTP API's
// OpenAPI body SAM writes. They skip when python3 or aws-sam-translator is missing.

var (
	expandOnce sync.Once
	expandedT  map[string]any
	expandedB  []byte
	expandSkip string
	expandErr  error
)

func expanded(t *testing.T) map[string]any {
	t.Helper()
	expandOnce.Do(func() {
		if _, err := exec.LookPath("python3"); err != nil {
			expandSkip = "python3 not installed"
			return
		}
		if err := exec.Command("python3", "-c", "import samtranslator").Run(); err != nil {
			expandSkip = "aws-sam-translator not installed (pip install aws-sam-translator)"
			return
		}
		cmd := exec.Command("python3", "expand.py", filepath.Join(root, "template.yaml"))
		cmd.Env = append(os.Environ(), "AWS_DEFAULT_REGION=eu-west-1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			expandErr = fmt.Errorf("expand.py: %v\n%s", err, stderr.String())
			return
		}
		expandedB = out
		expandErr = json.Unmarshal(out, &expandedT)
	})
	if expandSkip != "" {
		t.Skip(expandSkip)
	}
	if expandErr != nil {
		t.Fatal(expandErr)
	}
	return expandedT
}

// resourcesOf returns the expanded resources of type ty, by logical id.
func resourcesOf(tpl map[string]any, ty string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for name, r := range sub(tpl, "Resources") {
		rm := r.(map[string]any)
		if rm["Type"] == ty {
			out[name] = rm
		}
	}
	return out
}

func props(r map[string]any) map[string]any { return sub(r, "Properties") }

// target returns the logical id an {"Fn::GetAtt": [id, attr]} or {"Ref": id} names.
func target(v any) string {
	m, _ := v.(map[string]any)
	if s, ok := m["Ref"].(string); ok {
		return s
	}
	if l, ok := m["Fn::GetAtt"].([]any); ok && len(l) == 2 {
		s, _ := l[0].(string)
		return s
	}
	return ""
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func num(v any) float64 {
	f, _ := v.(float64)
	return f
}

// cfn-lint finds nothing in the expansion (as `make cfn-lint` runs it on template.yaml too).
func TestExpandedLintsClean(t *testing.T) {
	expanded(t)
	if testing.Short() {
		t.Skip("cfn-lint takes half a minute")
	}
	if _, err := exec.LookPath("cfn-lint"); err != nil {
		t.Skip("cfn-lint not installed")
	}
	p := filepath.Join(t.TempDir(), "expanded.json")
	if err := os.WriteFile(p, expandedB, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cfn-lint", p).CombinedOutput(); err != nil {
		t.Errorf("cfn-lint on the expansion: %v\n%s", err, out)
	}
}

// S3 events reach ingest only through the ingest queue: the uploads bucket's rule targets the
// queue (with a dead-letter queue for events it cannot deliver), the queue redrives to that
// dead-letter queue, an alarm watches it, and the function's one trigger is the queue, failing
// messages one by one. No rule or schedule invokes ingest directly.
func TestExpandedIngestThroughQueue(t *testing.T) {
	tpl := expanded(t)
	rule := props(sub(sub(tpl, "Resources"), "BundleUploadedRule"))
	if b := strs(sub(sub(sub(rule, "EventPattern"), "detail"), "bucket")["name"]); !slices.Equal(b, []string{"UploadsBucket"}) {
		t.Errorf("BundleUploadedRule matches buckets %v, want the uploads bucket", b)
	}
	targets, _ := rule["Targets"].([]any)
	if len(targets) != 1 {
		t.Fatalf("BundleUploadedRule has %d targets, want 1", len(targets))
	}
	tg := targets[0].(map[string]any)
	if target(tg["Arn"]) != "IngestQueue" || target(sub(tg, "DeadLetterConfig")["Arn"]) != "IngestDeadLetterQueue" {
		t.Errorf("BundleUploadedRule target %v, want the ingest queue with the ingest dead-letter queue", tg)
	}
	for name, r := range resourcesOf(tpl, "AWS::Events::Rule") {
		for _, x := range list(props(r)["Targets"]) {
			if target(x.(map[string]any)["Arn"]) == "IngestFunction" {
				t.Errorf("rule %s invokes the ingest function directly", name)
			}
		}
	}
	for name, r := range resourcesOf(tpl, "AWS::Scheduler::Schedule") {
		if target(sub(props(r), "Target")["Arn"]) == "IngestFunction" {
			t.Errorf("schedule %s invokes the ingest function directly", name)
		}
	}
	var triggers []string
	for name, r := range resourcesOf(tpl, "AWS::Lambda::EventSourceMapping") {
		p := props(r)
		if target(p["FunctionName"]) != "IngestFunction" {
			continue
		}
		triggers = append(triggers, target(p["EventSourceArn"]))
		if !slices.Contains(strs(p["FunctionResponseTypes"]), "ReportBatchItemFailures") {
			t.Errorf("%s: no ReportBatchItemFailures: one bad upload would fail its whole batch", name)
		}
	}
	if !slices.Equal(triggers, []string{"IngestQueue"}) {
		t.Errorf("ingest is triggered by %v, want the ingest queue alone", triggers)
	}
	q := props(sub(sub(tpl, "Resources"), "IngestQueue"))
	if target(sub(q, "RedrivePolicy")["deadLetterTargetArn"]) != "IngestDeadLetterQueue" {
		t.Errorf("IngestQueue redrives to %v, want IngestDeadLetterQueue", q["RedrivePolicy"])
	}
	// The queue takes the rule's events and nobody else's.
	pol := props(sub(sub(tpl, "Resources"), "IngestQueuePolicy"))
	found := false
	for _, s := range sub(pol, "PolicyDocument")["Statement"].([]any) {
		st := s.(map[string]any)
		if st["Effect"] == "Allow" && sub(st, "Principal")["Service"] == "events.amazonaws.com" &&
			target(sub(sub(st, "Condition"), "ArnEquals")["aws:SourceArn"]) == "BundleUploadedRule" {
			found = true
		}
	}
	if !found {
		t.Error("IngestQueuePolicy does not let the BundleUploadedRule (and only it) send")
	}
}

// A queue a function consumes keeps a message invisible at least six times the function's
// timeout (AWS's advice for event source mappings), so a slow batch is not handed out twice;
// and it redrives to a dead-letter queue.
func TestExpandedVisibilityTimeouts(t *testing.T) {
	tpl := expanded(t)
	res := sub(tpl, "Resources")
	n := 0
	for name, r := range resourcesOf(tpl, "AWS::Lambda::EventSourceMapping") {
		p := props(r)
		qn, fn := target(p["EventSourceArn"]), target(p["FunctionName"])
		q, f := props(sub(res, qn)), props(sub(res, fn))
		vis, timeout := num(q["VisibilityTimeout"]), num(f["Timeout"])
		if timeout == 0 || vis < 6*timeout {
			t.Errorf("%s: %s's VisibilityTimeout %v < 6 x %s's Timeout %v", name, qn, vis, fn, timeout)
		}
		if _, ok := q["RedrivePolicy"]; !ok {
			t.Errorf("%s: %s has no dead-letter queue", name, qn)
		}
		n++
	}
	if n < 2 {
		t.Errorf("%d SQS event source mappings, want ingest's and route's", n)
	}
}

// Every dead-letter queue has an alarm on its depth; every counterpart queue has a notice-age
// alarm that fires before SQS's retention would drop a notice, named so that the sweep
// function's rule starts the move to the dead-letter queue.
func TestExpandedDeadLetterAndAgeAlarms(t *testing.T) {
	tpl := expanded(t)
	res := sub(tpl, "Resources")
	alarms := resourcesOf(tpl, "AWS::CloudWatch::Alarm")
	watched := map[string]map[string]bool{} // metric -> queue -> alarmed
	ageAlarm := map[string]map[string]any{}
	for _, a := range alarms {
		p := props(a)
		if p["Namespace"] != "AWS/SQS" {
			continue
		}
		if len(strs(p["AlarmActions"])) == 0 {
			t.Errorf("alarm %v has no action", p["AlarmDescription"])
		}
		for _, d := range list(p["Dimensions"]) {
			q := target(d.(map[string]any)["Value"])
			m := p["MetricName"].(string)
			if watched[m] == nil {
				watched[m] = map[string]bool{}
			}
			watched[m][q] = true
			if m == "ApproximateAgeOfOldestMessage" {
				ageAlarm[q] = p
			}
		}
	}
	var prefix string
	if pat := sub(sub(props(sub(res, "SweepFunctionNoticeAge")), "EventPattern"), "detail"); pat != nil {
		if l, _ := pat["alarmName"].([]any); len(l) == 1 {
			prefix, _ = sub(l[0].(map[string]any), "prefix")["Fn::Sub"].(string)
		}
	}
	if prefix == "" {
		t.Fatal("SweepFunctionNoticeAge matches no alarm-name prefix")
	}
	for name, q := range resourcesOf(tpl, "AWS::SQS::Queue") {
		p := props(q)
		if dlq := target(sub(p, "RedrivePolicy")["deadLetterTargetArn"]); dlq != "" && !watched["ApproximateNumberOfMessagesVisible"][dlq] {
			t.Errorf("%s's dead-letter queue %s has no depth alarm", name, dlq)
		}
		if !strings.HasPrefix(name, "CounterpartQueue") {
			continue
		}
		a := ageAlarm[name]
		if a == nil {
			t.Errorf("%s has no notice-age alarm", name)
			continue
		}
		if th, keep := num(a["Threshold"]), num(p["MessageRetentionPeriod"]); th <= 0 || th >= keep-86400 {
			t.Errorf("%s: notice-age alarm at %v s, want well before the retention of %v s", name, th, keep)
		}
		if n, _ := sub(a, "AlarmName")["Fn::Sub"].(string); !strings.HasPrefix(n, prefix) {
			t.Errorf("%s: notice-age alarm named %q, which the sweep rule's prefix %q does not match", name, n, prefix)
		}
	}
}

// Keys, tables, queues and buckets outlive the stack; tables refuse deletion.
func TestExpandedRetained(t *testing.T) {
	tpl := expanded(t)
	for _, ty := range []string{"AWS::KMS::Key", "AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::S3::Bucket", "AWS::Logs::LogGroup"} {
		rs := resourcesOf(tpl, ty)
		if len(rs) == 0 {
			t.Errorf("no %s", ty)
		}
		for name, r := range rs {
			if r["DeletionPolicy"] != "Retain" || r["UpdateReplacePolicy"] != "Retain" {
				t.Errorf("%s %s: DeletionPolicy %v, UpdateReplacePolicy %v, want Retain", ty, name, r["DeletionPolicy"], r["UpdateReplacePolicy"])
			}
			if ty == "AWS::DynamoDB::Table" && props(r)["DeletionProtectionEnabled"] != true {
				t.Errorf("table %s: no deletion protection", name)
			}
		}
	}
}

var (
	destroyKey = []string{"kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy"}
	useKey     = []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:Sign", "kms:GenerateMac"}
)

// Both keys: nobody is allowed kms:*; the administrators may neither use nor destroy; every
// principal but the break-glass role is denied ScheduleKeyDeletion, DisableKey and
// PutKeyPolicy; and a rule on those calls feeds an alarm.
func TestExpandedKeyPolicies(t *testing.T) {
	tpl := expanded(t)
	keys := resourcesOf(tpl, "AWS::KMS::Key")
	if len(keys) != 4 {
		t.Fatalf("%d keys, want the data key, the signing key, the (optional) multi-Region signing key and the identifier index key", len(keys))
	}
	for name, k := range keys {
		var breakGlass, adminsDenied bool
		for _, s := range sub(props(k), "KeyPolicy")["Statement"].([]any) {
			st := s.(map[string]any)
			acts := strs(st["Action"])
			principal := target(sub(st, "Principal")["AWS"])
			switch st["Effect"] {
			case "Allow":
				for _, a := range acts {
					if a == "kms:*" || a == "*" {
						t.Errorf("%s: statement %v allows %s", name, st["Sid"], a)
					}
					for _, d := range destroyKey {
						if actionMatches(a, d) {
							t.Errorf("%s: statement %v allows %s", name, st["Sid"], d)
						}
					}
					if principal == "KeyAdminRoleArn" {
						for _, u := range useKey {
							if actionMatches(a, u) {
								t.Errorf("%s: the key administrators are allowed %s", name, u)
							}
						}
					}
				}
			case "Deny":
				if st["Principal"] == "*" && slices.Equal(acts, destroyKey) &&
					target(sub(sub(st, "Condition"), "ArnNotEquals")["aws:PrincipalArn"]) == "BreakGlassRoleArn" {
					breakGlass = true
				}
				if principal == "KeyAdminRoleArn" && slices.ContainsFunc(acts, func(a string) bool {
					return actionMatches(a, "kms:Decrypt") || actionMatches(a, "kms:Sign") || actionMatches(a, "kms:GenerateMac")
				}) {
					adminsDenied = true
				}
			}
		}
		if !breakGlass {
			t.Errorf("%s: no Deny of %v to all but the break-glass role", name, destroyKey)
		}
		if !adminsDenied {
			t.Errorf("%s: the key administrators are not denied its use", name)
		}
	}
	rule := props(sub(sub(tpl, "Resources"), "KeyTamperRule"))
	if got := strs(sub(sub(rule, "EventPattern"), "detail")["eventName"]); !slices.Equal(got, []string{"ScheduleKeyDeletion", "DisableKey", "PutKeyPolicy"}) {
		t.Errorf("KeyTamperRule matches %v, want %v", got, destroyKey)
	}
	alarmed := false
	for _, a := range resourcesOf(tpl, "AWS::CloudWatch::Alarm") {
		p := props(a)
		for _, d := range list(p["Dimensions"]) {
			if p["MetricName"] == "TriggeredRules" && target(d.(map[string]any)["Value"]) == "KeyTamperRule" {
				alarmed = true
			}
		}
	}
	if !alarmed {
		t.Error("no alarm on the KeyTamperRule")
	}
}

// rolePolicies returns the Allow and Deny statements of a role's inline policies.
func rolePolicies(role map[string]any) []map[string]any {
	var out []map[string]any
	for _, p := range props(role)["Policies"].([]any) {
		for _, s := range sub(p.(map[string]any), "PolicyDocument")["Statement"].([]any) {
			out = append(out, s.(map[string]any))
		}
	}
	return out
}

// Each function's role, as deployed: no managed policy; no Allow on "*" but X-Ray's (which
// has no resource-level permissions); no queue or table matched by a name pattern; the data
// key only through S3 or DynamoDB (kms:ViaService); Object Lock retention for the ingest role
// alone; no SendMessage on a counterpart queue in any role (the queues' own policies grant the
// route function, and nothing else).
func TestExpandedRolesLeastPrivilege(t *testing.T) {
	tpl := expanded(t)
	res := sub(tpl, "Resources")
	fns := resourcesOf(tpl, "AWS::Lambda::Function")
	if len(fns) != 5 {
		t.Fatalf("%d functions, want 5", len(fns))
	}
	for fname, f := range fns {
		rname := target(props(f)["Role"])
		role := sub(res, rname)
		if role["Type"] != "AWS::IAM::Role" {
			t.Errorf("%s: role %s is not a role of the template", fname, rname)
			continue
		}
		if m := props(role)["ManagedPolicyArns"]; m != nil {
			t.Errorf("%s: managed policies %v", rname, m)
		}
		for _, st := range rolePolicies(role) {
			if st["Effect"] != "Allow" {
				continue
			}
			acts, rs := strs(st["Action"]), strs(st["Resource"])
			if slices.Contains(rs, "*") && !slices.Equal(acts, []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords"}) {
				t.Errorf("%s: statement %v allows %v on *", rname, st["Sid"], acts)
			}
			for _, r := range rs {
				if strings.Contains(r, "${Prefix}*") || strings.HasSuffix(r, ":*") && !strings.Contains(r, ":log-stream:") {
					t.Errorf("%s: statement %v names resources by pattern: %s", rname, st["Sid"], r)
				}
			}
			for _, a := range acts {
				if strings.HasSuffix(a, "*") {
					t.Errorf("%s: statement %v allows the wildcard action %s", rname, st["Sid"], a)
				}
				if actionMatches(a, "s3:PutObjectRetention") && rname != "IngestRole" && rname != "AuditRole" {
					t.Errorf("%s: statement %v allows s3:PutObjectRetention", rname, st["Sid"])
				}
				if actionMatches(a, "sqs:SendMessage") && slices.ContainsFunc(rs, func(r string) bool { return strings.HasPrefix(r, "Counterpart") }) {
					t.Errorf("%s: statement %v sends to a counterpart queue", rname, st["Sid"])
				}
			}
			if slices.Contains(rs, "DataKey") && !slices.ContainsFunc(acts, func(a string) bool { return a == "kms:DescribeKey" }) {
				if via := sub(sub(st, "Condition"), "StringEquals")["kms:ViaService"]; via == nil {
					t.Errorf("%s: statement %v uses the data key without kms:ViaService", rname, st["Sid"])
				}
			}
		}
	}
	// The counterpart queues: only the route role (notices), the audit role (request
	// reminders) and the api role (notices of identifier hits) send to a queue, only the sweep
	// role to a dead-letter queue.
	for name, qp := range resourcesOf(tpl, "AWS::SQS::QueuePolicy") {
		if !strings.HasPrefix(name, "CounterpartQueuePolicy") {
			continue
		}
		for _, s := range sub(props(qp), "PolicyDocument")["Statement"].([]any) {
			st := s.(map[string]any)
			if st["Effect"] != "Allow" || !slices.Contains(strs(st["Action"]), "sqs:SendMessage") {
				continue
			}
			who := target(sub(st, "Principal")["AWS"])
			for _, r := range strs(st["Resource"]) {
				if strings.HasPrefix(r, "CounterpartQueue") && who != "RouteRole" && who != "AuditRole" && who != "ApiRole" || strings.HasPrefix(r, "CounterpartDeadLetterQueue") && who != "SweepRole" {
					t.Errorf("%s: %s may send to %s", name, who, r)
				}
			}
		}
	}
}

// A counterpart the directory gives an AWS account may read and delete on its own queues,
// and on no other counterpart's; a counterpart without one has no foreign principal.
func TestExpandedCounterpartAccounts(t *testing.T) {
	tpl := expanded(t)
	dir, err := os.ReadFile(filepath.Join(root, "infra/counterparts.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cps, err := counterparts(dir)
	if err != nil {
		t.Fatal(err)
	}
	withAccount := 0
	pols := resourcesOf(tpl, "AWS::SQS::QueuePolicy")
	for _, c := range cps {
		p := pols["CounterpartQueuePolicy"+logicalID(c.ID)]
		if p == nil {
			t.Errorf("%s: no queue policy", c.ID)
			continue
		}
		var accounts []string
		for _, s := range sub(props(p), "PolicyDocument")["Statement"].([]any) {
			st := s.(map[string]any)
			principal, _ := sub(sub(st, "Principal"), "AWS")["Fn::Sub"].(string)
			if st["Effect"] != "Allow" || principal == "" {
				continue
			}
			accounts = append(accounts, principal)
			acts := strs(st["Action"])
			if !slices.Contains(acts, "sqs:ReceiveMessage") || !slices.Contains(acts, "sqs:DeleteMessage") || slices.Contains(acts, "sqs:SendMessage") {
				t.Errorf("%s: its account is allowed %v, want receive and delete, not send", c.ID, acts)
			}
			for _, r := range strs(st["Resource"]) {
				if r != "CounterpartQueue"+logicalID(c.ID) && r != "CounterpartDeadLetterQueue"+logicalID(c.ID) {
					t.Errorf("%s: its account reaches %s", c.ID, r)
				}
			}
		}
		want := []string(nil)
		if c.AWSAccount != "" {
			want = []string{"arn:${AWS::Partition}:iam::" + c.AWSAccount + ":root"}
			withAccount++
		}
		if !slices.Equal(accounts, want) {
			t.Errorf("%s: foreign principals %v, want %v", c.ID, accounts, want)
		}
	}
	if withAccount == 0 {
		t.Error("no counterpart of infra/counterparts.yaml has an aws_account: the cross-account case is untested")
	}
}

// The HTTP API as SAM writes it: every route but the checkpoint and the public key needs a JWT
// with one of its scopes; there is no catch-all route; the stage throttles every route and the
// anonymous ones harder, and writes access logs.
func TestExpandedApiScopesAndThrottling(t *testing.T) {
	tpl := expanded(t)
	res := sub(tpl, "Resources")
	paths := sub(props(sub(res, "HttpApi"))["Body"].(map[string]any), "paths")
	anonymous := map[string]bool{"get /v1/checkpoint": true, "get /v1/public-key": true}
	n := 0
	for path, ops := range paths {
		if strings.Contains(path, "proxy+") || path == "$default" {
			t.Errorf("catch-all route %s", path)
		}
		for method, op := range ops.(map[string]any) {
			n++
			key := method + " " + path
			if method == "x-amazon-apigateway-any-method" {
				t.Errorf("%s: ANY method", path)
			}
			sec, _ := op.(map[string]any)["security"].([]any)
			if anonymous[key] {
				if len(sec) > 1 || len(sec) == 1 && sec[0].(map[string]any)["NONE"] == nil {
					t.Errorf("%s: anonymous route with security %v", key, sec)
				}
				continue
			}
			if len(sec) != 1 || sec[0].(map[string]any)["Jwt"] == nil {
				t.Errorf("%s: security %v, want the Jwt authorizer", key, sec)
				continue
			}
			scopes := strs(sec[0].(map[string]any)["Jwt"])
			if len(scopes) == 0 {
				t.Errorf("%s: no scopes", key)
			}
			for _, s := range scopes {
				if _, ok := scopeNames[s]; !ok {
					t.Errorf("%s: scope %s is none of evx's", key, s)
				}
			}
		}
	}
	if n < 13 {
		t.Errorf("%d routes, want at least 13", n)
	}
	stage := props(sub(res, "HttpApiApiGatewayDefaultStage"))
	def := sub(stage, "DefaultRouteSettings")
	if num(def["ThrottlingRateLimit"]) <= 0 || num(def["ThrottlingBurstLimit"]) <= 0 {
		t.Errorf("DefaultRouteSettings %v, want a rate and a burst limit", def)
	}
	for _, r := range []string{"GET /v1/checkpoint", "GET /v1/public-key"} {
		rs := sub(sub(stage, "RouteSettings"), r)
		if num(rs["ThrottlingRateLimit"]) <= 0 || num(rs["ThrottlingRateLimit"]) >= num(def["ThrottlingRateLimit"]) {
			t.Errorf("%s: throttling %v, want below the default %v", r, rs, def)
		}
	}
	if target(sub(stage, "AccessLogSettings")["DestinationArn"]) != "HttpApiAccessLogGroup" {
		t.Error("the stage writes no access log")
	}
}

// scopeNames are the scopes the api function maps to roles.
var scopeNames = map[string]bool{"evx/upload": true, "evx/counterpart": true, "evx/legal": true}

// Every function traces, logs JSON to a log group of its own with a retention and the data
// key, and has a reserved concurrency; each has alarms on errors, throttles and duration.
func TestExpandedFunctionsSeenAndKept(t *testing.T) {
	tpl := expanded(t)
	res := sub(tpl, "Resources")
	alarms := map[string][]string{}
	for _, a := range resourcesOf(tpl, "AWS::CloudWatch::Alarm") {
		p := props(a)
		if p["Namespace"] != "AWS/Lambda" {
			continue
		}
		for _, d := range list(p["Dimensions"]) {
			fn := target(d.(map[string]any)["Value"])
			alarms[fn] = append(alarms[fn], p["MetricName"].(string))
		}
	}
	for name, f := range resourcesOf(tpl, "AWS::Lambda::Function") {
		p := props(f)
		if sub(p, "TracingConfig")["Mode"] != "Active" {
			t.Errorf("%s: X-Ray tracing off", name)
		}
		if num(p["ReservedConcurrentExecutions"]) <= 0 {
			t.Errorf("%s: no reserved concurrency", name)
		}
		lc := sub(p, "LoggingConfig")
		lg := props(sub(res, target(lc["LogGroup"])))
		if lc["LogFormat"] != "JSON" || lg["RetentionInDays"] == nil || target(lg["KmsKeyId"]) != "DataKey" {
			t.Errorf("%s: logging %v to %v, want JSON into a log group with retention and the data key", name, lc, lg)
		}
		got := alarms[name]
		slices.Sort(got)
		if want := []string{"Duration", "Errors", "Throttles"}; !slices.Equal(got, want) {
			t.Errorf("%s: alarms on %v, want %v", name, got, want)
		}
	}
}

// The uploads bucket holds no Object Lock and expires what lands there; CloudTrail records
// data events on the evidence bucket and the custody tables.
func TestExpandedUploadsBucketAndTrail(t *testing.T) {
	tpl := expanded(t)
	res := sub(tpl, "Resources")
	up := props(sub(res, "UploadsBucket"))
	if up["ObjectLockEnabled"] != nil || up["ObjectLockConfiguration"] != nil {
		t.Error("the uploads bucket has Object Lock: junk would be locked")
	}
	var expires, aborts bool
	for _, r := range sub(up, "LifecycleConfiguration")["Rules"].([]any) {
		rm := r.(map[string]any)
		if rm["Status"] != "Enabled" {
			continue
		}
		if rm["ExpirationInDays"] != nil {
			expires = true
		}
		if rm["AbortIncompleteMultipartUpload"] != nil {
			aborts = true
		}
	}
	if !expires || !aborts {
		t.Errorf("uploads lifecycle: expiry %v, abort of incomplete multipart uploads %v; want both", expires, aborts)
	}
	trail := props(sub(res, "Trail"))
	var s3Data, ddbData []string
	for _, sel := range trail["AdvancedEventSelectors"].([]any) {
		var isData bool
		var ty string
		var arns []string
		for _, f := range sel.(map[string]any)["FieldSelectors"].([]any) {
			fm := f.(map[string]any)
			switch fm["Field"] {
			case "eventCategory":
				isData = slices.Contains(strs(fm["Equals"]), "Data")
			case "resources.type":
				ty = strs(fm["Equals"])[0]
			case "resources.ARN":
				arns = append(strs(fm["Equals"]), strs(fm["StartsWith"])...)
			}
		}
		if isData && ty == "AWS::S3::Object" {
			s3Data = append(s3Data, arns...)
		}
		if isData && ty == "AWS::DynamoDB::Table" {
			ddbData = append(ddbData, arns...)
		}
	}
	if !slices.Contains(s3Data, "EvidenceBucket") {
		t.Errorf("trail data events on S3 %v, want the evidence bucket", s3Data)
	}
	if !slices.Contains(ddbData, "CustodyTable") || !slices.Contains(ddbData, "LogTable") {
		t.Errorf("trail data events on DynamoDB %v, want the custody and log tables", ddbData)
	}
	if trail["EnableLogFileValidation"] != true {
		t.Error("trail log file validation is off")
	}
}

// rateMinutes is the period of an EventBridge Scheduler "rate(N minute[s]|hour[s]|day[s])"
// expression, in minutes; 0 for anything else.
func rateMinutes(expr string) int {
	var n int
	var unit string
	if _, err := fmt.Sscanf(strings.TrimSuffix(strings.TrimPrefix(expr, "rate("), ")"), "%d %s", &n, &unit); err != nil {
		return 0
	}
	switch strings.TrimSuffix(unit, "s") {
	case "minute":
		return n
	case "hour":
		return 60 * n
	case "day":
		return 24 * 60 * n
	}
	return 0
}

// Checkpoints are signed on a schedule, never on request: a schedule invokes the audit
// function with {"task":"checkpoint"} at least every five minutes; only the audit role may
// write under checkpoints/ of the evidence bucket, and the api role may only read there; the
// anonymous checkpoint route is throttled (TestExpandedApiScopesAndThrottling), and the audit
// function's reserved concurrency leaves a checkpoint run room beside a long fixity run.
func TestExpandedCheckpointSchedule(t *testing.T) {
	tpl := expanded(t)
	res := sub(tpl, "Resources")
	var period int
	for name, r := range resourcesOf(tpl, "AWS::Scheduler::Schedule") {
		tg := sub(props(r), "Target")
		if target(tg["Arn"]) != "AuditFunction" {
			continue
		}
		var in struct{ Task string }
		if s, _ := tg["Input"].(string); s != "" {
			if err := json.Unmarshal([]byte(s), &in); err != nil {
				t.Errorf("%s: input %q: %v", name, s, err)
			}
		}
		if in.Task != "checkpoint" {
			continue
		}
		if sub(props(r), "FlexibleTimeWindow")["Mode"] != "OFF" && sub(props(r), "FlexibleTimeWindow")["Mode"] != nil {
			t.Errorf("%s: a flexible time window delays checkpoints", name)
		}
		m, _ := props(r)["ScheduleExpression"].(string)
		if p := rateMinutes(m); p > 0 && (period == 0 || p < period) {
			period = p
		}
	}
	if period == 0 || period > 5 {
		t.Errorf("the checkpoint is signed every %d minutes by schedule (0: never), want every 5 at most", period)
	}
	if c := num(props(sub(res, "AuditFunction"))["ReservedConcurrentExecutions"]); c < 2 {
		t.Errorf("AuditFunction reserved concurrency %v: a fixity run would hold back the checkpoint", c)
	}
	writes := func(a string) bool {
		for _, w := range []string{"s3:PutObject", "s3:DeleteObject", "s3:PutObjectAcl"} {
			if actionMatches(a, w) {
				return true
			}
		}
		return false
	}
	for fname, f := range resourcesOf(tpl, "AWS::Lambda::Function") {
		rname := target(props(f)["Role"])
		for _, st := range rolePolicies(sub(res, rname)) {
			if st["Effect"] != "Allow" {
				continue
			}
			var onCheckpoints bool
			for _, r := range strs(st["Resource"]) {
				if strings.Contains(r, "/checkpoints/") || strings.HasSuffix(r, "EvidenceBucket.Arn}/*") {
					onCheckpoints = true
				}
			}
			if !onCheckpoints {
				continue
			}
			for _, a := range strs(st["Action"]) {
				if writes(a) && fname != "AuditFunction" {
					t.Errorf("%s (%s): statement %v may %s the published checkpoints", fname, rname, st["Sid"], a)
				}
			}
		}
	}
}

// A counterpart whose answer to its receipt was lost fetches the stored receipt: the API
// deploys GET beside POST /v1/deliveries/{id}/receipt, both for the counterpart scope alone.
func TestExpandedReceiptRoutes(t *testing.T) {
	tpl := expanded(t)
	paths := sub(props(sub(sub(tpl, "Resources"), "HttpApi"))["Body"].(map[string]any), "paths")
	ops, _ := paths["/v1/deliveries/{id}/receipt"].(map[string]any)
	for _, method := range []string{"get", "post"} {
		op, ok := ops[method].(map[string]any)
		if !ok {
			t.Errorf("%s /v1/deliveries/{id}/receipt is not deployed", method)
			continue
		}
		sec, _ := op["security"].([]any)
		if len(sec) != 1 || sec[0].(map[string]any)["Jwt"] == nil || strings.Join(strs(sec[0].(map[string]any)["Jwt"]), ",") != "evx/counterpart" {
			t.Errorf("%s /v1/deliveries/{id}/receipt: security %v, want the Jwt authorizer with evx/counterpart", method, sec)
		}
	}
}

// The one JWT authorizer, as SAM writes it into the HTTP API: API Gateway checks a token's
// signature against the issuer's keys, its expiry, that its issuer is the stack's JwtIssuer
// and its audience JwtAudience, from the Authorization header; a token of another issuer never
// reaches the function. Which counterpart a token is, the function decides from the directory
// (TestIntegrationForgedClaimsOnEveryRoute in functions/internal/e2e).
func TestExpandedJwtAuthorizer(t *testing.T) {
	tpl := expanded(t)
	body := props(sub(sub(tpl, "Resources"), "HttpApi"))["Body"].(map[string]any)
	schemes := sub(sub(body, "components"), "securitySchemes")
	if len(schemes) != 1 || schemes["Jwt"] == nil {
		t.Fatalf("security schemes %v, want the Jwt authorizer alone", schemes)
	}
	az := sub(schemes["Jwt"].(map[string]any), "x-amazon-apigateway-authorizer")
	jc := sub(az, "jwtConfiguration")
	if az["type"] != "jwt" || az["identitySource"] != "$request.header.Authorization" ||
		target(jc["issuer"]) != "JwtIssuer" || !slices.Equal(strs(jc["audience"]), []string{"JwtAudience"}) {
		t.Errorf("authorizer %v, want a jwt authorizer on the Authorization header with the stack's issuer and audience", az)
	}
}

// Witnesses reach the API on AWS: the offer, the cosignatures and the cosigned checkpoints
// are deployed for every evx scope. The checkpoints offered to witnesses (the "#checkpoint"
// partition of the deliveries table) are written by the audit role alone, and only there:
// every other role that may write the table is denied writes to that partition, so that the
// api, which serves witnesses, never needs to sign or store a checkpoint.
func TestExpandedWitnessRoutesAndCheckpointWriters(t *testing.T) {
	tpl := expanded(t)
	res := sub(tpl, "Resources")
	paths := sub(props(sub(res, "HttpApi"))["Body"].(map[string]any), "paths")
	for _, r := range []struct{ method, path string }{
		{"get", "/v1/log/witness"}, {"post", "/v1/log/cosignatures"}, {"get", "/v1/log/checkpoints/{size}"},
	} {
		op, ok := sub(paths, r.path)[r.method].(map[string]any)
		if !ok {
			t.Errorf("%s %s is not deployed", r.method, r.path)
			continue
		}
		sec, _ := op["security"].([]any)
		if len(sec) != 1 || sec[0].(map[string]any)["Jwt"] == nil {
			t.Errorf("%s %s: security %v, want the Jwt authorizer", r.method, r.path, sec)
			continue
		}
		if got := strs(sec[0].(map[string]any)["Jwt"]); !slices.Equal(got, []string{"evx/upload", "evx/counterpart", "evx/legal"}) {
			t.Errorf("%s %s: scopes %v, want every evx scope", r.method, r.path, got)
		}
	}
	writes := []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate"}
	leading := func(st map[string]any, op string) []string {
		return strs(sub(sub(st, "Condition"), op)["dynamodb:LeadingKeys"])
	}
	auditKeeps := false
	for fname, f := range resourcesOf(tpl, "AWS::Lambda::Function") {
		rname := target(props(f)["Role"])
		var mayWrite, denied bool
		for _, st := range rolePolicies(sub(res, rname)) {
			if !slices.Contains(strs(st["Resource"]), "DeliveriesTable") {
				continue
			}
			acts := strs(st["Action"])
			w := slices.ContainsFunc(acts, func(a string) bool {
				return slices.ContainsFunc(writes, func(x string) bool { return actionMatches(a, x) })
			})
			switch {
			case st["Effect"] == "Deny" && slices.Contains(leading(st, "ForAnyValue:StringEquals"), "#checkpoint") &&
				slices.Contains(acts, "dynamodb:PutItem") && slices.Contains(acts, "dynamodb:UpdateItem"):
				denied = true
			case st["Effect"] == "Allow" && w && slices.Equal(leading(st, "ForAllValues:StringEquals"), []string{"#checkpoint"}):
				if rname != "AuditRole" || !slices.Equal(acts, []string{"dynamodb:PutItem"}) {
					t.Errorf("%s (%s): statement %v may write the checkpoints offered to witnesses: %v", fname, rname, st["Sid"], acts)
				}
				auditKeeps = true
			case st["Effect"] == "Allow" && w:
				mayWrite = true
			}
		}
		if mayWrite && !denied && rname != "AuditRole" {
			t.Errorf("%s (%s) may write the deliveries table and is not denied its #checkpoint partition", fname, rname)
		}
	}
	if !auditKeeps {
		t.Error("no statement lets the audit role keep checkpoints for witnesses")
	}
}

// Heads on AWS (awsenv.WithHeadsRecorded, WithHeadsKept): the audit role scans the custody
// table and writes and reads the heads it keeps under checkpoints/heads/; the api role reads
// them and may not scan the custody table (it proves heads from what the audit kept).
func TestExpandedHeadsRoles(t *testing.T) {
	tpl := expanded(t)
	res := sub(tpl, "Resources")
	allows := func(role, action, resource string) bool {
		for _, st := range rolePolicies(sub(res, role)) {
			if st["Effect"] != "Allow" || !slices.ContainsFunc(strs(st["Action"]), func(a string) bool { return actionMatches(a, action) }) {
				continue
			}
			for _, r := range strs(st["Resource"]) {
				if r == resource || strings.HasSuffix(resource, "/*") && strings.HasPrefix(strings.TrimSuffix(resource, "*"), strings.TrimSuffix(r, "*")) && strings.HasSuffix(r, "*") {
					return true
				}
			}
		}
		return false
	}
	heads := "${EvidenceBucket.Arn}/checkpoints/heads/*"
	for _, tc := range []struct {
		role, action, resource string
		want                   bool
	}{
		{"AuditRole", "dynamodb:Scan", "CustodyTable", true},
		{"AuditRole", "s3:PutObject", heads, true},
		{"AuditRole", "s3:GetObject", heads, true},
		{"ApiRole", "s3:GetObject", heads, true},
		{"ApiRole", "s3:PutObject", heads, false},
		{"ApiRole", "dynamodb:Scan", "CustodyTable", false},
	} {
		if got := allows(tc.role, tc.action, tc.resource); got != tc.want {
			t.Errorf("%s may %s on %s: %v, want %v", tc.role, tc.action, tc.resource, got, tc.want)
		}
	}
}
