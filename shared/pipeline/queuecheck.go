package pipeline

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// ErrInvalidQueueArg is returned (wrapped) by a Queue for a queue name, dedup id, body, max
// or visibility outside the limits the Queue port documents.
var ErrInvalidQueueArg = errors.New("invalid queue argument")

// CheckSend checks Send's arguments against the Queue limits, so that every backend refuses
// the same input; the error wraps [ErrInvalidQueueArg].
func CheckSend(queue, dedupID string, body []byte) error {
	if err := CheckQueueName(queue); err != nil {
		return err
	}
	if len(dedupID) == 0 || len(dedupID) > MaxDedupID {
		return fmt.Errorf("dedup id of %d bytes, want 1 to %d: %w", len(dedupID), MaxDedupID, ErrInvalidQueueArg)
	}
	for i := 0; i < len(dedupID); i++ {
		if c := dedupID[i]; c < 0x21 || c > 0x7e {
			return fmt.Errorf("dedup id %.40q: byte %#x is not printable ASCII: %w", dedupID, c, ErrInvalidQueueArg)
		}
	}
	if len(body) == 0 || len(body) > MaxBody {
		return fmt.Errorf("body of %d bytes, want 1 to %d: %w", len(body), MaxBody, ErrInvalidQueueArg)
	}
	// The characters SQS accepts: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.
	for i := 0; i < len(body); {
		r, n := utf8.DecodeRune(body[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			return fmt.Errorf("body: invalid UTF-8 at byte %d: %w", i, ErrInvalidQueueArg)
		case r == 0x9 || r == 0xA || r == 0xD,
			r >= 0x20 && r <= 0xD7FF,
			r >= 0xE000 && r <= 0xFFFD,
			r >= 0x10000 && r <= 0x10FFFF:
		default:
			return fmt.Errorf("body: character %U at byte %d not allowed: %w", r, i, ErrInvalidQueueArg)
		}
		i += n
	}
	return nil
}

// CheckReceive checks Receive's arguments against the Queue limits; the error wraps
// [ErrInvalidQueueArg].
func CheckReceive(queue string, max int, visibility time.Duration) error {
	if err := CheckQueueName(queue); err != nil {
		return err
	}
	if max < 1 || max > MaxReceive {
		return fmt.Errorf("receive %d messages, want 1 to %d: %w", max, MaxReceive, ErrInvalidQueueArg)
	}
	if visibility <= 0 || visibility > MaxVisibility {
		return fmt.Errorf("visibility timeout %v, want more than 0 and at most %v: %w", visibility, MaxVisibility, ErrInvalidQueueArg)
	}
	return nil
}

// CheckQueueName checks a queue name: 1 to [MaxQueueName] ASCII letters, digits, '-' or
// '_'; the error wraps [ErrInvalidQueueArg].
func CheckQueueName(queue string) error {
	if len(queue) == 0 || len(queue) > MaxQueueName {
		return fmt.Errorf("queue name of %d bytes, want 1 to %d: %w", len(queue), MaxQueueName, ErrInvalidQueueArg)
	}
	for i := 0; i < len(queue); i++ {
		c := queue[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return fmt.Errorf("queue name %.90q: want ASCII letters, digits, '-' and '_': %w", queue, ErrInvalidQueueArg)
		}
	}
	return nil
}
