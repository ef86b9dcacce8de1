package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/evx-project/evx/functions/internal/fntest"
	"github.com/evx-project/evx/shared/pipeline"
)

type sent struct{ queue, body string }

type fakeSender struct {
	sent []sent
	fail bool
}

func (f *fakeSender) SendTo(_ context.Context, q string, body []byte) error {
	if f.fail {
		return errors.New("queue unavailable")
	}
	f.sent = append(f.sent, sent{q, string(body)})
	return nil
}

// Uploads by age and state: too young to touch, due for a requeue, past the requeue window,
// accepted and never routed.
func TestSweepPending(t *testing.T) {
	now := fntest.T0
	ups := []pipeline.Upload{
		{BundleID: "young", State: pipeline.UploadReceived, Received: now.Add(-time.Hour)},
		{BundleID: "due", State: pipeline.UploadReceived, Received: now.Add(-2*time.Hour - time.Minute)},
		{BundleID: "late", State: pipeline.UploadReceived, Received: now.Add(-3 * time.Hour)},
		{BundleID: "unrouted", State: pipeline.UploadAccepted, Received: now.Add(-2*time.Hour - time.Minute)},
		{BundleID: "young-unrouted", State: pipeline.UploadAccepted, Received: now.Add(-time.Minute)},
	}
	q := &fakeSender{}
	var metrics bytes.Buffer
	h := &Handler{Pending: func(context.Context) ([]pipeline.Upload, error) { return ups, nil }, Queue: q, IngestQueue: "evx-evx-ingest",
		Grace: 2 * time.Hour, Window: 30 * time.Minute, Clock: func() time.Time { return now }, Metrics: &metrics}
	got, err := fntest.Invoke(t, h.Handle, fntest.Event(t, "pending.json"))
	if err != nil {
		t.Fatal(err)
	}
	fntest.Golden(t, "pending", got)
	if want := []sent{{"evx-evx-ingest", `{"resume":"due"}`}}; !slices.Equal(q.sent, want) {
		t.Errorf("sent %v, want %v", q.sent, want)
	}
	if !strings.Contains(metrics.String(), `"StuckUploads":2`) {
		t.Errorf("metric line %q, want StuckUploads 2", metrics.String())
	}

	q.fail = true
	if _, err := h.Handle(context.Background(), Input{Task: "pending"}); err == nil || !strings.Contains(err.Error(), "requeue due") {
		t.Errorf("Handle with the queue down = %v, want the requeue error", err)
	}
}

func TestSweepRefusesOtherInput(t *testing.T) {
	h := &Handler{}
	var ue *UnexpectedInputError
	if _, err := h.Handle(context.Background(), Input{Task: "everything"}); !errors.As(err, &ue) {
		t.Errorf("Handle(everything) = %v, want *UnexpectedInputError", err)
	}
}

// fakeSQS is a FIFO queue and its dead-letter queue, enough for Mover.
type fakeSQS struct {
	main, dlq  []types.Message
	inFlight   map[string]types.Message
	receives   int
	failSendTo string
}

func (f *fakeSQS) GetQueueUrl(_ context.Context, in *sqs.GetQueueUrlInput, _ ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error) {
	return &sqs.GetQueueUrlOutput{QueueUrl: aws.String("https://sqs/" + *in.QueueName)}, nil
}

func (f *fakeSQS) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	if strings.HasSuffix(*in.QueueUrl, f.failSendTo) && f.failSendTo != "" {
		return nil, errors.New("send failed")
	}
	if !strings.HasSuffix(*in.QueueUrl, "-dlq.fifo") || in.MessageGroupId == nil || in.MessageDeduplicationId == nil {
		return nil, fmt.Errorf("send to %s with group %v, dedup %v: want the FIFO dead-letter queue, both set", *in.QueueUrl, in.MessageGroupId, in.MessageDeduplicationId)
	}
	f.dlq = append(f.dlq, types.Message{MessageId: in.MessageDeduplicationId, Body: in.MessageBody})
	return &sqs.SendMessageOutput{}, nil
}

func (f *fakeSQS) ReceiveMessage(_ context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	f.receives++
	var out []types.Message
	for _, m := range f.main {
		if _, busy := f.inFlight[*m.MessageId]; busy || len(out) == int(in.MaxNumberOfMessages) {
			continue
		}
		m.ReceiptHandle = m.MessageId
		f.inFlight[*m.MessageId] = m
		out = append(out, m)
	}
	return &sqs.ReceiveMessageOutput{Messages: out}, nil
}

func (f *fakeSQS) DeleteMessage(_ context.Context, in *sqs.DeleteMessageInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error) {
	delete(f.inFlight, *in.ReceiptHandle)
	f.main = slices.DeleteFunc(f.main, func(m types.Message) bool { return *m.MessageId == *in.ReceiptHandle })
	return &sqs.DeleteMessageOutput{}, nil
}

func (f *fakeSQS) ChangeMessageVisibility(_ context.Context, in *sqs.ChangeMessageVisibilityInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	if in.VisibilityTimeout == 0 {
		delete(f.inFlight, *in.ReceiptHandle)
	}
	return &sqs.ChangeMessageVisibilityOutput{}, nil
}

func notice(id string, sent time.Time) types.Message {
	return types.Message{MessageId: aws.String(id), Body: aws.String(`{"delivery":"` + id + `"}`),
		Attributes: map[string]string{"SentTimestamp": strconv.FormatInt(sent.UnixMilli(), 10), "MessageGroupId": "nl-om"}}
}

// A notice-age alarm for nl-om: the two notices of 11 and 10 days go to the dead-letter queue,
// the one of a day stays (visible again); a second run finds nothing more to move.
func TestSweepMovesOldNotices(t *testing.T) {
	now := fntest.T0
	f := &fakeSQS{inFlight: map[string]types.Message{}}
	for i := range 25 { // more than one receive's worth of young notices
		f.main = append(f.main, notice(fmt.Sprintf("young-%02d", i), now.Add(-24*time.Hour)))
	}
	f.main = append([]types.Message{notice("old-1", now.Add(-11*24*time.Hour)), notice("old-2", now.Add(-10*24*time.Hour))}, f.main...)
	clock := func() time.Time { return now }
	h := &Handler{AlarmPrefix: "evx-notice-age-", Clock: clock,
		Notices: &Mover{Queues: newQueues(f), Prefix: "evx-", MaxAge: 10 * 24 * time.Hour, Clock: clock, MaxRounds: 100}}
	got, err := fntest.Invoke(t, h.Handle, fntest.Event(t, "notice-age-alarm.json"))
	if err != nil {
		t.Fatal(err)
	}
	fntest.Golden(t, "notice-age-alarm", got)
	var ids []string
	for _, m := range f.dlq {
		ids = append(ids, *m.MessageId)
	}
	if want := []string{"old-1", "old-2"}; !slices.Equal(ids, want) || len(f.main) != 25 || len(f.inFlight) != 0 {
		t.Errorf("dead-letter queue %v, %d left, %d in flight; want %v, 25 left, none in flight", ids, len(f.main), len(f.inFlight), want)
	}
	var res Result
	json.Unmarshal(got, &res)
	if n, err := h.Notices.Move(context.Background(), "nl-om"); n != 0 || err != nil {
		t.Errorf("second Move = %d, %v; want 0, nil", n, err)
	}

	// A dead-letter queue that refuses: the notice stays where it was.
	f.main = append(f.main, notice("old-3", now.Add(-12*24*time.Hour)))
	f.failSendTo = "-dlq.fifo"
	if n, err := h.Notices.Move(context.Background(), "nl-om"); n != 0 || err == nil || !slices.ContainsFunc(f.main, func(m types.Message) bool { return *m.MessageId == "old-3" }) {
		t.Errorf("Move with the DLQ down = %d, %v; want 0, an error, and old-3 still queued", n, err)
	}
}

// Alarm events that are not a notice-age alarm going off move nothing.
func TestSweepIgnoresOtherAlarms(t *testing.T) {
	h := &Handler{AlarmPrefix: "evx-notice-age-"}
	for _, d := range []string{`{"alarmName":"evx-IngestErrors","state":{"value":"ALARM"}}`, `{"alarmName":"evx-notice-age-nl-om","state":{"value":"OK"}}`} {
		res, err := h.Handle(context.Background(), Input{DetailType: "CloudWatch Alarm State Change", Detail: json.RawMessage(d)})
		if err != nil || res.Moved != 0 || res.Queue != "" {
			t.Errorf("Handle(%s) = %+v, %v; want nothing done", d, res, err)
		}
	}
	if _, err := h.Handle(context.Background(), Input{DetailType: "CloudWatch Alarm State Change", Detail: json.RawMessage(`{"alarmName":"evx-notice-age-../x","state":{"value":"ALARM"}}`)}); err == nil {
		t.Error("Handle accepted a counterpart id that names no queue")
	}
}

func TestConfigFromEnv(t *testing.T) {
	base := map[string]string{"EVX_DELIVERIES_TABLE": "d", "EVX_INGEST_QUEUE": "q"}
	for _, tc := range []struct {
		name, k, v string
		ok         bool
	}{
		{"defaults", "", "", true},
		{"no-table", "EVX_DELIVERIES_TABLE", "", false},
		{"age-14", "EVX_NOTICE_MAX_AGE_DAYS", "14", false},
		{"age-x", "EVX_NOTICE_MAX_AGE_DAYS", "x", false},
		{"grace", "EVX_SWEEP_GRACE", "1ms", true},
		{"grace-negative", "EVX_SWEEP_GRACE", "-1h", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			if tc.k != "" {
				env[tc.k] = tc.v
			}
			_, err := configFromEnv(func(k string) string { return env[k] })
			var ce *ConfigError
			if tc.ok != (err == nil) || (err != nil && !errors.As(err, &ce)) {
				t.Errorf("configFromEnv = %v, want ok %v (errors typed *ConfigError)", err, tc.ok)
			}
		})
	}
}
