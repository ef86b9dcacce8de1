package lambdatest

import (
	"testing"
	"time"
)

func TestParseReports(t *testing.T) {
	// Lines as aws-lambda-rie prints them (internal/lambda/rie/handlers.go printEndReports).
	out := "START RequestId: a Version: $LATEST\n" +
		"END RequestId: a\n" +
		"REPORT RequestId: a\tInit Duration: 12.34 ms\tDuration: 1.50 ms\tBilled Duration: 2 ms\tMemory Size: 3008 MB\tMax Memory Used: 3008 MB\t\n" +
		"noise\n" +
		"REPORT RequestId: b\tDuration: 0.25 ms\tBilled Duration: 1 ms\tMemory Size: 3008 MB\tMax Memory Used: 3008 MB\t\n"
	got := parseReports(out)
	want := []Report{
		{RequestID: "a", InitDuration: 12340 * time.Microsecond, Duration: 1500 * time.Microsecond},
		{RequestID: "b", Duration: 250 * time.Microsecond},
	}
	if len(got) != len(want) {
		t.Fatalf("parseReports = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("report %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestFreePort(t *testing.T) {
	for range 20 {
		p, err := FreePort()
		if err != nil || p == 9001 || p <= 0 {
			t.Fatalf("FreePort = %d, %v", p, err)
		}
	}
}
