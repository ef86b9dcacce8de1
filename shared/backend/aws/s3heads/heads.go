// Package s3heads keeps, beside each checkpoint the audit function signs on AWS, the heads it
// committed to (custody.HeadLister: every bundle's last event at the checkpoint's size), in the
// evidence bucket under checkpoints/heads/, so that the api function, whose role must not scan
// the custody table, can prove a bundle's head in the trails it exports: a trail with a
// witnessed checkpoint that commits to heads is then provably complete (docs/witnesses.md).
//
// An object holds the heads of one log size, as text:
//
//	evx-heads/1 <log size> <count>\n
//	<bundle key> <seq> <event hash> <leaf index>\n   (count lines, by bundle key, each once)
//
// the bundle key being custody.BundleKey of the bundle id (lowercase hex SHA-256), the event
// hash lowercase hex, numbers decimal without leading zeros. Keys, not bundle ids: the bucket's
// readers learn how many bundles there are, not which.
package s3heads

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/evx-project/evx/shared/custody"
)

// Prefix is where the heads objects lie in the evidence bucket.
const Prefix = "checkpoints/heads/"

// Key is the object key of the heads at log size size (zero-padded, so keys sort by size).
func Key(size uint64) string { return fmt.Sprintf("%s%020d", Prefix, size) }

// MaxHeads bounds the heads one object may hold, and with MaxLine the bytes Get reads: a
// million bundles is about 150 MB, which one export would read whole. Keeping heads for more
// is the sequencer's (docs/witnesses.md).
const MaxHeads = 1_000_000

// MaxLine bounds one line: a key, a hash and two 20-digit numbers with their separators.
const MaxLine = 64 + 1 + 20 + 1 + 64 + 1 + 20 + 1

const magic = "evx-heads/1"

// FormatError is a heads object that is not in the format above, or not of the size asked for.
type FormatError struct {
	Line   int // 1-based; 0 for the object as a whole
	Reason string
}

func (e *FormatError) Error() string {
	if e.Line == 0 {
		return "heads object: " + e.Reason
	}
	return fmt.Sprintf("heads object, line %d: %s", e.Line, e.Reason)
}

// Marshal writes the heads of log size size in the object's format, sorted by bundle key. A
// head at a leaf at or beyond size, or two heads of one bundle, are errors.
func Marshal(size uint64, heads []custody.Head) ([]byte, error) {
	if len(heads) > MaxHeads {
		return nil, fmt.Errorf("heads: %d heads, more than %d", len(heads), MaxHeads)
	}
	hs := make([]custody.Head, len(heads))
	for i, h := range heads {
		if h.Key == "" {
			h.Key = custody.BundleKey(h.BundleID)
		}
		if !isHex(h.Key) || !isHex(h.Hash) || h.Leaf >= size {
			return nil, fmt.Errorf("heads: malformed head %+v at log size %d", h, size)
		}
		hs[i] = custody.Head{Key: h.Key, Seq: h.Seq, Hash: h.Hash, Leaf: h.Leaf}
	}
	slices.SortFunc(hs, func(a, b custody.Head) int { return strings.Compare(a.Key, b.Key) })
	var b bytes.Buffer
	b.Grow(len(hs)*(MaxLine-20) + 64)
	fmt.Fprintf(&b, "%s %d %d\n", magic, size, len(hs))
	for i, h := range hs {
		if i > 0 && hs[i-1].Key == h.Key {
			return nil, fmt.Errorf("heads: bundle %s listed twice", h.Key)
		}
		fmt.Fprintf(&b, "%s %d %s %d\n", h.Key, h.Seq, h.Hash, h.Leaf)
	}
	return b.Bytes(), nil
}

// Parse reads a heads object of log size size; anything else is a *FormatError.
func Parse(r io.Reader, size uint64) ([]custody.Head, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 256), MaxLine+1)
	sc.Split(lines)
	line := 0
	next := func() (string, error) {
		line++
		if !sc.Scan() {
			if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
				return "", &FormatError{Line: line, Reason: fmt.Sprintf("longer than %d bytes", MaxLine)}
			} else if err != nil {
				return "", err
			}
			return "", io.EOF
		}
		return sc.Text(), nil
	}
	hdr, err := next()
	if err == io.EOF {
		return nil, &FormatError{Reason: "empty"}
	} else if err != nil {
		return nil, err
	}
	f := strings.Split(hdr, " ")
	if len(f) != 3 || f[0] != magic {
		return nil, &FormatError{Line: 1, Reason: fmt.Sprintf("want %q", magic+" <log size> <count>")}
	}
	got, ok1 := number(f[1])
	count, ok2 := number(f[2])
	switch {
	case !ok1 || !ok2:
		return nil, &FormatError{Line: 1, Reason: "log size and count must be decimal numbers"}
	case got != size:
		return nil, &FormatError{Line: 1, Reason: fmt.Sprintf("heads of log size %d, want %d", got, size)}
	case count > MaxHeads:
		return nil, &FormatError{Line: 1, Reason: fmt.Sprintf("%d heads, more than %d", count, MaxHeads)}
	}
	hs := make([]custody.Head, 0, min(count, 4096))
	for {
		l, err := next()
		if err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		if uint64(len(hs)) == count {
			return nil, &FormatError{Line: line, Reason: fmt.Sprintf("more than the %d heads the header states", count)}
		}
		f := strings.Split(l, " ")
		if len(f) != 4 {
			return nil, &FormatError{Line: line, Reason: "want <bundle key> <seq> <event hash> <leaf index>"}
		}
		seq, ok1 := number(f[1])
		leaf, ok2 := number(f[3])
		switch {
		case !isHex(f[0]) || !isHex(f[2]):
			return nil, &FormatError{Line: line, Reason: "bundle key and event hash must be 64 lowercase hex digits"}
		case !ok1 || !ok2 || seq == 0:
			return nil, &FormatError{Line: line, Reason: "seq and leaf index must be decimal numbers, seq from 1"}
		case leaf >= size:
			return nil, &FormatError{Line: line, Reason: fmt.Sprintf("leaf %d beyond the log size %d", leaf, size)}
		case len(hs) > 0 && f[0] <= hs[len(hs)-1].Key:
			return nil, &FormatError{Line: line, Reason: "bundle keys out of order or repeated"}
		}
		hs = append(hs, custody.Head{Key: f[0], Seq: seq, Hash: f[2], Leaf: leaf})
	}
	if uint64(len(hs)) != count {
		return nil, &FormatError{Reason: fmt.Sprintf("%d heads, the header states %d", len(hs), count)}
	}
	return hs, nil
}

// lines splits at '\n' alone (bufio.ScanLines would drop a '\r', which the format has not).
func lines(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// number parses a canonical decimal (no sign, no leading zero).
func number(s string) (uint64, bool) {
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil && strconv.FormatUint(n, 10) == s
}

func isHex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Client is the part of the S3 client the store uses.
type Client interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

var _ Client = (*s3.Client)(nil)

// Store keeps heads objects in one bucket.
type Store struct {
	c      Client
	bucket string
}

// New returns the store over bucket (the evidence bucket).
func New(c Client, bucket string) *Store { return &Store{c: c, bucket: bucket} }

// Put stores the heads of log size size, with their SHA-256 checked by S3.
func (s *Store) Put(ctx context.Context, size uint64, heads []custody.Head) error {
	b, err := Marshal(size, heads)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(b)
	_, err = s.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.bucket, Key: aws.String(Key(size)), Body: bytes.NewReader(b),
		ContentLength: aws.Int64(int64(len(b))), ContentType: aws.String("text/plain; charset=utf-8"),
		ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(sum[:]))})
	if err != nil {
		return fmt.Errorf("put s3://%s/%s: %w", s.bucket, Key(size), err)
	}
	return nil
}

// Get reads the heads of log size size. An object that is not there wraps
// custody.ErrHeadsUnknown (S3 answers NoSuchKey only to a caller that may list the bucket;
// to others, such as the api function, AccessDenied, which is returned as it is: ask only for
// the sizes whose checkpoints were kept, as the ledgers of package awsenv do).
func (s *Store) Get(ctx context.Context, size uint64) ([]custody.Head, error) {
	out, err := s.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: aws.String(Key(size))})
	if err != nil {
		var nk *types.NoSuchKey
		var ae smithy.APIError
		if errors.As(err, &nk) || errors.As(err, &ae) && ae.ErrorCode() == "NoSuchKey" {
			return nil, fmt.Errorf("s3://%s/%s: %w", s.bucket, Key(size), custody.ErrHeadsUnknown)
		}
		return nil, fmt.Errorf("get s3://%s/%s: %w", s.bucket, Key(size), err)
	}
	defer out.Body.Close()
	hs, err := Parse(io.LimitReader(out.Body, int64(MaxHeads+1)*MaxLine+64), size)
	if err != nil {
		return nil, fmt.Errorf("s3://%s/%s: %w", s.bucket, Key(size), err)
	}
	return hs, nil
}
