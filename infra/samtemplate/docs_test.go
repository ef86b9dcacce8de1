package main

import (
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// mdSection returns the text of the "## name" section of a Markdown page, "" if there is none.
func mdSection(page, name string) string {
	_, rest, ok := strings.Cut(page, "\n## "+name+"\n")
	if !ok {
		return ""
	}
	if i := strings.Index(rest, "\n## "); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// s3Prefix is the object prefix an S3 resource ARN of a policy names: "evidence/*" of
// "${EvidenceBucket.Arn}/evidence/*".
var s3Prefix = regexp.MustCompile(`Bucket\.Arn\}/(.+)$`)

// docs/aws-threat-model.md has a section per function of the template as SAM expands it,
// saying what triggers it, what it can touch and what a compromise of it could do; the section
// names every S3 prefix its role reaches and every partition key a statement confines it to,
// says that it signs exactly when its role may sign,
// and speaks of retention when its role may set it. The page names every function role.
func TestThreatModelCoversEveryFunction(t *testing.T) {
	tpl := expanded(t)
	res := sub(tpl, "Resources")
	b, err := os.ReadFile(filepath.Join(root, "docs/aws-threat-model.md"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for fname, f := range resourcesOf(tpl, "AWS::Lambda::Function") {
		name := strings.ToLower(strings.TrimSuffix(fname, "Function"))
		sec := mdSection(page, name)
		if sec == "" {
			t.Errorf("docs/aws-threat-model.md has no section ## %s for %s", name, fname)
			continue
		}
		for _, part := range []string{"Trigger:", "Can:", "Compromise:"} {
			if !strings.Contains(sec, part) {
				t.Errorf("## %s says nothing under %q", name, part)
			}
		}
		rname := target(props(f)["Role"])
		if !strings.Contains(page, "`"+rname+"`") {
			t.Errorf("docs/aws-threat-model.md does not name %s's role %s", fname, rname)
		}
		var signs, retains bool
		for _, st := range rolePolicies(sub(res, rname)) {
			if st["Effect"] != "Allow" {
				continue
			}
			for _, a := range strs(st["Action"]) {
				signs = signs || actionMatches(a, "kms:Sign")
				retains = retains || actionMatches(a, "s3:PutObjectRetention")
			}
			for _, k := range strs(sub(sub(st, "Condition"), "ForAllValues:StringEquals")["dynamodb:LeadingKeys"]) {
				if !strings.Contains(sec, "`"+k+"`") {
					t.Errorf("## %s does not say that %s writes only the %s partition (statement %v)", name, rname, k, st["Sid"])
				}
			}
			for _, r := range strs(st["Resource"]) {
				if m := s3Prefix.FindStringSubmatch(r); m != nil && !strings.Contains(sec, m[1]) {
					t.Errorf("## %s does not say that %s reaches %s (%v of statement %v)", name, rname, m[1], strs(st["Action"]), st["Sid"])
				}
			}
		}
		// What the function can do is its "Can:" paragraph; "signs nothing" says it cannot sign.
		ci := strings.Index(sec, "Can:")
		if ci < 0 {
			continue
		}
		can := sec[ci:]
		if i := strings.Index(can, "\n\n"); i >= 0 {
			can = can[:i]
		}
		says := regexp.MustCompile(`(?i)\bsign(s|ing)?\b`).MatchString(strings.ReplaceAll(can, "signs nothing", ""))
		if signs != says {
			t.Errorf("## %s: role %s may sign: %v; its Can: paragraph says so: %v (%q)", name, rname, signs, says, can)
		}
		if retains && !strings.Contains(sec, "retention") {
			t.Errorf("## %s: role %s may set Object Lock retention, the section does not say so", name, rname)
		}
	}
}

// Every alarm of the expanded template has a row in docs/aws-runbook.md's alarm table (a row
// may name several, with * for a family: CounterpartNoticeAgeAlarm*, *Errors), and every row
// names an alarm that exists.
func TestRunbookCoversEveryAlarm(t *testing.T) {
	tpl := expanded(t)
	b, err := os.ReadFile(filepath.Join(root, "docs/aws-runbook.md"))
	if err != nil {
		t.Fatal(err)
	}
	alarms := resourcesOf(tpl, "AWS::CloudWatch::Alarm")
	var patterns []string
	for _, line := range strings.Split(mdSection(string(b), "Alarms"), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || strings.Trim(cells[1], " -") == "" || strings.TrimSpace(cells[1]) == "alarm" {
			continue
		}
		for _, p := range regexp.MustCompile(`[,/]`).Split(cells[1], -1) {
			if p = strings.TrimSpace(p); p != "" {
				patterns = append(patterns, p)
			}
		}
	}
	matches := func(p, id string) bool {
		ok1, _ := path.Match(p, id)
		ok2, _ := path.Match(p, strings.TrimSuffix(id, "Alarm"))
		return ok1 || ok2
	}
	for id := range alarms {
		if !slices.ContainsFunc(patterns, func(p string) bool { return matches(p, id) }) {
			t.Errorf("alarm %s has no row in docs/aws-runbook.md (rows: %q)", id, patterns)
		}
	}
	for _, p := range patterns {
		found := false
		for id := range alarms {
			found = found || matches(p, id)
		}
		if !found {
			t.Errorf("docs/aws-runbook.md explains %s, which is no alarm of the template", p)
		}
	}
}
