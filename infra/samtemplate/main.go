// Command samtemplate writes two generated sections of template.yaml. From
// infra/counterparts.yaml, for each counterpart: a FIFO queue <Prefix>cp-<id>.fifo (the SQS
// name of pipeline.QueueName(id) as package sqsqueue spells it) and its dead-letter queue
// <Prefix>cp-<id>-dlq.fifo, both retained; their queue policy (the route function sends, the
// audit function sends request reminders, the sweep function moves notices about to expire unread, the counterpart's own AWS account
// reads when the directory names one); an alarm on the dead-letter queue and one on notice
// age. From the template's own functions: alarms on errors, throttles and durations near the
// timeout. CloudFormation has no
// loop that cfn-lint and goformation both read, so the section is generated and checked in;
// the tests of this package fail while it is stale.
//
//	go run ./infra/samtemplate            # rewrite template.yaml in place
//	go run ./infra/samtemplate -check     # exit 1 if template.yaml is stale
//
// Run it from the module root.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/evx-project/evx/shared/pipeline"
	"go.yaml.in/yaml/v3"
)

const (
	beginMarker = "  # BEGIN generated counterpart queues"
	endMarker   = "  # END generated counterpart queues"
	alarmsBegin = "  # BEGIN generated function alarms"
	alarmsEnd   = "  # END generated function alarms"
	// maxID keeps "<Prefix>cp-<id>-dlq.fifo" within SQS's 80 characters with an 8-character
	// Prefix (template.yaml's limit): 60, three short of the directory's own limit on ids.
	maxID = 80 - 8 - len("cp-") - len("-dlq.fifo")
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("samtemplate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	check := fs.Bool("check", false, "only report whether template.yaml is up to date")
	tplPath := fs.String("template", "template.yaml", "the SAM template to rewrite")
	dirPath := fs.String("counterparts", "infra/counterparts.yaml", "the counterpart directory")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	dir, err := os.ReadFile(*dirPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	tpl, err := os.ReadFile(*tplPath)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	cps, err := counterparts(dir)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", *dirPath, err)
		return 1
	}
	ids := cps
	out, err := rewrite(tpl, cps)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", *tplPath, err)
		return 1
	}
	if bytes.Equal(out, tpl) {
		fmt.Fprintf(stdout, "%s: counterpart queues up to date (%d)\n", *tplPath, len(ids))
		return 0
	}
	if *check {
		fmt.Fprintf(stderr, "%s: counterpart queues are stale: run go run ./infra/samtemplate\n", *tplPath)
		return 1
	}
	if err := os.WriteFile(*tplPath, out, 0o644); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: wrote queues for %d counterparts\n", *tplPath, len(ids))
	return 0
}

// counterpartIDs reads the ids of the counterpart directory, sorted.
func counterpartIDs(dir []byte) ([]string, error) {
	cps, err := counterparts(dir)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(cps))
	for i, c := range cps {
		ids[i] = c.ID
	}
	return ids, nil
}

// counterparts reads the counterpart directory and returns the agencies evx delivers to (role
// receive or both: a sending-only agency has no queue), sorted by id. It accepts a top-level
// list of counterparts or a map with a "counterparts" list.
func counterparts(dir []byte) ([]pipeline.Counterpart, error) {
	var doc struct {
		Counterparts []pipeline.Counterpart `yaml:"counterparts"`
	}
	if err := yaml.Unmarshal(dir, &doc); err != nil {
		var list []pipeline.Counterpart
		if lerr := yaml.Unmarshal(dir, &list); lerr != nil {
			return nil, err
		}
		doc.Counterparts = list
	}
	seen := map[string]string{} // logical id -> counterpart id
	var cps []pipeline.Counterpart
	for _, c := range doc.Counterparts {
		if !c.Receives() {
			continue
		}
		if err := pipeline.CheckQueueName(c.ID); err != nil {
			return nil, fmt.Errorf("counterpart %q: %w", c.ID, err)
		}
		if len(c.ID) > maxID {
			return nil, fmt.Errorf("counterpart %q: id longer than %d characters does not fit a queue name", c.ID, maxID)
		}
		if c.AWSAccount != "" && !account.MatchString(c.AWSAccount) {
			return nil, fmt.Errorf("counterpart %q: aws_account %q: want 12 digits", c.ID, c.AWSAccount)
		}
		l := logicalID(c.ID)
		if other, dup := seen[l]; dup {
			return nil, fmt.Errorf("counterparts %q and %q would share the resource names %s", other, c.ID, l)
		}
		seen[l] = c.ID
		cps = append(cps, c)
	}
	if len(cps) == 0 {
		return nil, errors.New("no counterparts")
	}
	slices.SortFunc(cps, func(a, b pipeline.Counterpart) int { return strings.Compare(a.ID, b.ID) })
	return cps, nil
}

var account = regexp.MustCompile(`^[0-9]{12}$`)

// logicalID turns a counterpart id into the CamelCase part of its resource names:
// "nl-om" -> "NlOm".
func logicalID(id string) string {
	var b strings.Builder
	up := true
	for _, c := range id {
		switch {
		case c == '-' || c == '_':
			up = true
		case up && 'a' <= c && c <= 'z':
			b.WriteRune(c - 'a' + 'A')
			up = false
		default:
			b.WriteRune(c)
			up = false
		}
	}
	return b.String()
}

// NoticeMaxAge is how long a notice may wait unread on a counterpart queue before the
// notice-age alarm fires and the sweep function moves it to the dead-letter queue: four days
// short of SQS's longest retention (14 days), after which it would vanish.
const NoticeMaxAge = 10 * 24 * 60 * 60

// section is the generated counterpart part of the template, between and including the markers.
func section(cps []pipeline.Counterpart) string {
	var b strings.Builder
	b.WriteString(beginMarker + " (go run ./infra/samtemplate; do not edit)\n")
	for _, c := range cps {
		l, id := logicalID(c.ID), c.ID
		fmt.Fprintf(&b, `  CounterpartDeadLetterQueue%[1]s:
    Type: AWS::SQS::Queue
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties:
      QueueName: !Sub "${Prefix}cp-%[2]s-dlq.fifo"
      FifoQueue: true
      MessageRetentionPeriod: 1209600
      SqsManagedSseEnabled: true
      Tags:
        - {Key: evx:counterpart, Value: %[2]s}

  CounterpartQueue%[1]s:
    Type: AWS::SQS::Queue
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties:
      QueueName: !Sub "${Prefix}cp-%[2]s.fifo"
      FifoQueue: true
      ContentBasedDeduplication: false
      VisibilityTimeout: 300
      MessageRetentionPeriod: 1209600
      SqsManagedSseEnabled: true
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt CounterpartDeadLetterQueue%[1]s.Arn
        maxReceiveCount: 5
      Tags:
        - {Key: evx:counterpart, Value: %[2]s}

  CounterpartQueuePolicy%[1]s:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref CounterpartQueue%[1]s, !Ref CounterpartDeadLetterQueue%[1]s]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Sid: RouteSends
            Effect: Allow
            Principal: {AWS: !GetAtt RouteRole.Arn}
            Action: [sqs:SendMessage, sqs:GetQueueUrl, sqs:GetQueueAttributes]
            Resource: !GetAtt CounterpartQueue%[1]s.Arn
          - Sid: AuditReminds
            Effect: Allow
            Principal: {AWS: !GetAtt AuditRole.Arn}
            Action: [sqs:SendMessage, sqs:GetQueueUrl]
            Resource: !GetAtt CounterpartQueue%[1]s.Arn
          - Sid: ApiNotifiesHits
            Effect: Allow
            Principal: {AWS: !GetAtt ApiRole.Arn}
            Action: [sqs:SendMessage, sqs:GetQueueUrl]
            Resource: !GetAtt CounterpartQueue%[1]s.Arn
          - Sid: SweepTakesUnread
            Effect: Allow
            Principal: {AWS: !GetAtt SweepRole.Arn}
            Action: [sqs:ReceiveMessage, sqs:DeleteMessage, sqs:ChangeMessageVisibility, sqs:GetQueueUrl, sqs:GetQueueAttributes]
            Resource: !GetAtt CounterpartQueue%[1]s.Arn
          - Sid: SweepKeepsUnread
            Effect: Allow
            Principal: {AWS: !GetAtt SweepRole.Arn}
            Action: [sqs:SendMessage, sqs:GetQueueUrl]
            Resource: !GetAtt CounterpartDeadLetterQueue%[1]s.Arn
`, l, id)
		if c.AWSAccount != "" {
			fmt.Fprintf(&b, `          - Sid: CounterpartAccountReads
            Effect: Allow
            Principal: {AWS: !Sub "arn:${AWS::Partition}:iam::%[2]s:root"}
            Action: [sqs:ReceiveMessage, sqs:DeleteMessage, sqs:ChangeMessageVisibility, sqs:GetQueueUrl, sqs:GetQueueAttributes]
            Resource: [!GetAtt CounterpartQueue%[1]s.Arn, !GetAtt CounterpartDeadLetterQueue%[1]s.Arn]
`, l, c.AWSAccount)
		}
		fmt.Fprintf(&b, `          - Sid: TLSOnly
            Effect: Deny
            Principal: "*"
            Action: sqs:*
            Resource: [!GetAtt CounterpartQueue%[1]s.Arn, !GetAtt CounterpartDeadLetterQueue%[1]s.Arn]
            Condition:
              Bool: {aws:SecureTransport: "false"}

  CounterpartDeadLetterAlarm%[1]s:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: A delivery notice to %[2]s failed repeatedly or expired unread, and waits in its dead-letter queue.
      Namespace: AWS/SQS
      MetricName: ApproximateNumberOfMessagesVisible
      Dimensions: [{Name: QueueName, Value: !GetAtt CounterpartDeadLetterQueue%[1]s.QueueName}]
      Statistic: Maximum
      Period: 300
      EvaluationPeriods: 1
      Threshold: 0
      ComparisonOperator: GreaterThanThreshold
      TreatMissingData: notBreaching
      AlarmActions: [!Ref AlarmTopic]

  CounterpartNoticeAgeAlarm%[1]s:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: !Sub "${AWS::StackName}-notice-age-%[2]s"
      AlarmDescription: A notice to %[2]s has waited unread for %[3]d days; the sweep function moves it to the dead-letter queue.
      Namespace: AWS/SQS
      MetricName: ApproximateAgeOfOldestMessage
      Dimensions: [{Name: QueueName, Value: !GetAtt CounterpartQueue%[1]s.QueueName}]
      Statistic: Maximum
      Period: 300
      EvaluationPeriods: 1
      Threshold: %[4]d
      ComparisonOperator: GreaterThanOrEqualToThreshold
      TreatMissingData: notBreaching
      AlarmActions: [!Ref AlarmTopic]

`, l, id, NoticeMaxAge/86400, NoticeMaxAge)
	}
	b.WriteString(endMarker + "\n")
	return b.String()
}

// function is what the alarms of a function need from the template.
type function struct {
	Name    string // logical id
	Timeout int    // seconds
}

// templateFunctions lists the template's functions with their timeouts (their own, else Globals'),
// sorted by name.
func templateFunctions(tpl []byte) ([]function, error) {
	var doc struct {
		Globals struct {
			Function struct {
				Timeout int `yaml:"Timeout"`
			} `yaml:"Function"`
		} `yaml:"Globals"`
		Resources map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				Timeout int `yaml:"Timeout"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(tpl, &doc); err != nil {
		return nil, err
	}
	var fns []function
	for name, r := range doc.Resources {
		if r.Type != "AWS::Serverless::Function" {
			continue
		}
		t := r.Properties.Timeout
		if t == 0 {
			t = doc.Globals.Function.Timeout
		}
		if t <= 0 {
			return nil, fmt.Errorf("%s: no Timeout, here or in Globals", name)
		}
		fns = append(fns, function{Name: name, Timeout: t})
	}
	if len(fns) == 0 {
		return nil, errors.New("no functions")
	}
	slices.SortFunc(fns, func(a, b function) int { return strings.Compare(a.Name, b.Name) })
	return fns, nil
}

// alarmSection is the generated function alarms: errors, throttles, and a duration at 80%% of
// the timeout, for every function.
func alarmSection(fns []function) string {
	var b strings.Builder
	b.WriteString(alarmsBegin + " (go run ./infra/samtemplate; do not edit)\n")
	for _, f := range fns {
		fmt.Fprintf(&b, `  %[1]sErrorsAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: %[1]s failed.
      Namespace: AWS/Lambda
      MetricName: Errors
      Dimensions: [{Name: FunctionName, Value: !Ref %[1]s}]
      Statistic: Sum
      Period: 300
      EvaluationPeriods: 1
      Threshold: 0
      ComparisonOperator: GreaterThanThreshold
      TreatMissingData: notBreaching
      AlarmActions: [!Ref AlarmTopic]

  %[1]sThrottlesAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: %[1]s was throttled (its reserved concurrency is spent).
      Namespace: AWS/Lambda
      MetricName: Throttles
      Dimensions: [{Name: FunctionName, Value: !Ref %[1]s}]
      Statistic: Sum
      Period: 300
      EvaluationPeriods: 1
      Threshold: 0
      ComparisonOperator: GreaterThanThreshold
      TreatMissingData: notBreaching
      AlarmActions: [!Ref AlarmTopic]

  %[1]sDurationAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: %[1]s ran for more than 80%% of its %[2]d s timeout.
      Namespace: AWS/Lambda
      MetricName: Duration
      Dimensions: [{Name: FunctionName, Value: !Ref %[1]s}]
      Statistic: Maximum
      Period: 300
      EvaluationPeriods: 1
      Threshold: %[3]d
      ComparisonOperator: GreaterThanThreshold
      TreatMissingData: notBreaching
      AlarmActions: [!Ref AlarmTopic]

`, f.Name, f.Timeout, f.Timeout*800)
	}
	b.WriteString(alarmsEnd + "\n")
	return b.String()
}

// replaceSection replaces the lines from the begin marker to the end marker with sec.
func replaceSection(tpl []byte, begin, end, sec string) ([]byte, error) {
	s := string(tpl)
	i := strings.Index(s, begin)
	j := strings.Index(s, end)
	if i < 0 || j < i {
		return nil, fmt.Errorf("no %q ... %q section", strings.TrimSpace(begin), strings.TrimSpace(end))
	}
	stop := j + len(end)
	if k := strings.IndexByte(s[stop:], '\n'); k >= 0 {
		stop += k + 1
	} else {
		stop = len(s)
	}
	return []byte(s[:i] + sec + s[stop:]), nil
}

// rewrite regenerates both sections: the counterpart resources from cps, the function alarms
// from the template's own functions.
func rewrite(tpl []byte, cps []pipeline.Counterpart) ([]byte, error) {
	out, err := replaceSection(tpl, beginMarker, endMarker, section(cps))
	if err != nil {
		return nil, err
	}
	fns, err := templateFunctions(out)
	if err != nil {
		return nil, err
	}
	return replaceSection(out, alarmsBegin, alarmsEnd, alarmSection(fns))
}
