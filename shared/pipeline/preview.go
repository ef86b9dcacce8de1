package pipeline

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/evx-project/evx/shared/custody"
)

// MaxPreviewText bounds the text of a DocumentPreview, in bytes.
const MaxPreviewText = 64 << 10

// DocumentPreview is the start of the text evx extracted from a delivered document, for a
// person to see what it is before downloading it.
type DocumentPreview struct {
	Name      string `json:"name"`
	SHA256    string `json:"sha256"`
	MediaType string `json:"media_type,omitempty"`
	// Extracted is false when evx extracted no text from the document (a photo, a format it
	// does not read); Text is then empty.
	Extracted bool   `json:"extracted"`
	Text      string `json:"text"`
	// Truncated: the text goes on past MaxPreviewText bytes.
	Truncated bool `json:"truncated,omitempty"`
}

// DocumentText returns the preview of one document of the counterpart's delivery: the first
// MaxPreviewText bytes of its extracted text. Reading it is reading the document's content,
// so it is recorded as a ContentAccessTracking event, as FetchDocument is. Another
// counterpart's delivery, or a name not in it, is not found.
func (s *Service) DocumentText(ctx context.Context, counterpart, deliveryID, name string) (*DocumentPreview, error) {
	d, trail, con, err := s.ownDelivery(ctx, counterpart, deliveryID)
	if err != nil {
		return nil, err
	}
	if err := s.checkRestricted(ctx, d.BundleID, trail); err != nil {
		return nil, err
	}
	var doc custody.Document
	found := false
	docs, err := s.EventDocuments(ctx, con)
	if err != nil {
		return nil, err
	}
	for _, x := range docs {
		if x.Name == name {
			doc, found = x, true
			break
		}
	}
	if !found {
		return nil, &DocumentNotFoundError{Delivery: deliveryID, Name: name}
	}
	p := &DocumentPreview{Name: doc.Name, SHA256: doc.SHA256, MediaType: doc.MediaType, Extracted: doc.Extraction != ""}
	if p.Extracted {
		text, err := s.extractedText(ctx, doc.Extraction)
		if err != nil {
			return nil, fmt.Errorf("text of %s of %s: %w", name, d.BundleID, err)
		}
		p.Text, p.Truncated = cutText(text, MaxPreviewText)
	}
	_, _, err = s.appendOnce(ctx, d.BundleID, func([]custody.Entry) (*decision, error) {
		return &decision{typ: custody.ContentAccessTracking, actor: custody.Actor{Kind: custody.ActorCounterpart, ID: counterpart},
			details: custody.Details{Counterpart: counterpart, Documents: []custody.Document{doc}, Request: handlingOf(trail)}}, nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// cutText returns at most max bytes of s, cut at a character boundary, and whether it cut.
func cutText(s string, max int) (string, bool) {
	if len(s) <= max {
		return s, false
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	s = s[:i]
	return strings.ToValidUTF8(s, ""), true
}
