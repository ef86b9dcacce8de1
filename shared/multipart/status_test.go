package multipart

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
)

func TestStatus(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"not found", fmt.Errorf("get: %w", ErrNotFound), http.StatusNotFound},
		{"checksum", &ChecksumError{N: 2, Want: "a", Got: "b"}, http.StatusUnprocessableEntity},
		{"part size", &PartSizeError{N: 1, Want: 5, Got: 4}, http.StatusBadRequest},
		{"targets asked", &LimitError{Field: "parts asked at once", Got: 101, Limit: 100}, http.StatusBadRequest},
		{"open uploads", &LimitError{Field: "open uploads", Got: 9, Limit: 8}, http.StatusTooManyRequests},
		{"size", &LimitError{Field: "size", Got: 9, Limit: 8}, http.StatusRequestEntityTooLarge},
		{"incomplete", fmt.Errorf("complete: %w", &IncompleteError{Missing: []int{3}}), http.StatusConflict},
		{"invalid", &InvalidError{Reason: "part 0"}, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, msg, ok := Status("u1", tc.err)
			if !ok || got != tc.want || msg == "" {
				t.Errorf("Status(%v) = %d, %q, %v; want %d", tc.err, got, msg, ok, tc.want)
			}
		})
	}
	if _, _, ok := Status("u1", errors.New("disk full")); ok {
		t.Error("Status of a server's own error: ok, want not the protocol's")
	}
}
