// Command samtemplate writes the counterpart queues of template.yaml from
// infra/counterparts.yaml: for each counterpart a FIFO queue <Prefix>cp-<id>.fifo (the SQS name
// of pipeline.QueueName(id) as package sqsqueue spells it), its dead-letter
// queue <Prefix>cp-<id>-dlq.fifo and an alarm on the dead-letter queue. CloudFormation has no
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
	"slices"
	"strings"

	"github.com/evx-project/evx/shared/pipeline"
	"go.yaml.in/yaml/v3"
)

const (
	beginMarker = "  # BEGIN generated counterpart queues"
	endMarker   = "  # END generated counterpart queues"
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
	ids, err := counterpartIDs(dir)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", *dirPath, err)
		return 1
	}
	out, err := rewrite(tpl, ids)
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

// counterpartIDs reads the ids of the counterpart directory, sorted. It accepts a top-level
// list of counterparts or a map with a "counterparts" list.
func counterpartIDs(dir []byte) ([]string, error) {
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
	var ids []string
	for _, c := range doc.Counterparts {
		if err := pipeline.CheckQueueName(c.ID); err != nil {
			return nil, fmt.Errorf("counterpart %q: %w", c.ID, err)
		}
		if len(c.ID) > maxID {
			return nil, fmt.Errorf("counterpart %q: id longer than %d characters does not fit a queue name", c.ID, maxID)
		}
		l := logicalID(c.ID)
		if other, dup := seen[l]; dup {
			return nil, fmt.Errorf("counterparts %q and %q would share the resource names %s", other, c.ID, l)
		}
		seen[l] = c.ID
		ids = append(ids, c.ID)
	}
	if len(ids) == 0 {
		return nil, errors.New("no counterparts")
	}
	slices.Sort(ids)
	return ids, nil
}

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

// section is the generated part of the template, between and including the markers.
func section(ids []string) string {
	var b strings.Builder
	b.WriteString(beginMarker + " (go run ./infra/samtemplate; do not edit)\n")
	for _, id := range ids {
		l := logicalID(id)
		fmt.Fprintf(&b, `  CounterpartDeadLetterQueue%[1]s:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${Prefix}cp-%[2]s-dlq.fifo"
      FifoQueue: true
      MessageRetentionPeriod: 1209600
      SqsManagedSseEnabled: true
      Tags:
        - {Key: evx:counterpart, Value: %[2]s}

  CounterpartQueue%[1]s:
    Type: AWS::SQS::Queue
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

  CounterpartDeadLetterAlarm%[1]s:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: A delivery to %[2]s failed repeatedly and waits in its dead-letter queue.
      Namespace: AWS/SQS
      MetricName: ApproximateNumberOfMessagesVisible
      Dimensions:
        - Name: QueueName
          Value: !GetAtt CounterpartDeadLetterQueue%[1]s.QueueName
      Statistic: Maximum
      Period: 300
      EvaluationPeriods: 1
      Threshold: 0
      ComparisonOperator: GreaterThanThreshold
      TreatMissingData: notBreaching
      AlarmActions: [!Ref AlarmTopic]

`, l, id)
	}
	b.WriteString(endMarker + "\n")
	return b.String()
}

// rewrite replaces the lines from the BEGIN marker to the END marker with section(ids).
func rewrite(tpl []byte, ids []string) ([]byte, error) {
	s := string(tpl)
	i := strings.Index(s, beginMarker)
	j := strings.Index(s, endMarker)
	if i < 0 || j < i {
		return nil, fmt.Errorf("no %q ... %q section", strings.TrimSpace(beginMarker), strings.TrimSpace(endMarker))
	}
	end := j + len(endMarker)
	if k := strings.IndexByte(s[end:], '\n'); k >= 0 {
		end += k + 1
	} else {
		end = len(s)
	}
	return []byte(s[:i] + section(ids) + s[end:]), nil
}
