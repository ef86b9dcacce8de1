package custody

import "strconv"

// fastDecodeTrailEvent decodes one element of a trail's events array as decodeTrailEvent does,
// faster, for the plain form every trail evx writes has: strings of printable ASCII without
// escapes, non-negative integers, no null, every member known, no member twice. On anything
// else it returns false and decodeTrailEvent's encoding/json path decides (and names the
// error). When it returns true, te holds exactly what encoding/json would have decoded (see
// FuzzFastDecodeTrailEvent).
func fastDecodeTrailEvent(b []byte, te *TrailEvent) bool {
	d := fastDec{s: string(b)} // one copy; every decoded string is a substring of it
	var w wireEvent
	var out TrailEvent
	ok := d.object(func(name string) bool {
		switch name {
		case "event":
			return d.object(func(name string) bool { return d.eventMember(name, &w) })
		case "leaf_index":
			return d.uint(&out.Leaf)
		case "inclusion_proof":
			return d.strings(&out.Proof)
		}
		return false
	})
	if !ok || !d.end() {
		return false
	}
	t, err := parseEventTime(w.Time)
	if err != nil {
		return false
	}
	var version int
	if w.Version != nil {
		version = *w.Version
	}
	out.Event = Event{Version: version, BundleID: w.BundleID, Seq: w.Seq, Type: w.Type, Time: t, Actor: w.Actor, Details: w.Details,
		Prev: w.Prev, KeyID: w.KeyID, Hash: w.Hash, Signature: w.Signature}
	*te = out
	return true
}

type fastDec struct {
	s string
	i int
}

func (d *fastDec) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\r', '\n':
			d.i++
		default:
			return
		}
	}
}

func (d *fastDec) byte(c byte) bool {
	d.ws()
	if d.i < len(d.s) && d.s[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *fastDec) end() bool {
	d.ws()
	return d.i == len(d.s)
}

// str reads a string of printable ASCII without escapes.
func (d *fastDec) str(out *string) bool {
	if !d.byte('"') {
		return false
	}
	start := d.i
	for d.i < len(d.s) {
		c := d.s[d.i]
		if c == '"' {
			*out = d.s[start:d.i]
			d.i++
			return true
		}
		if c < 0x20 || c > 0x7e || c == '\\' {
			return false
		}
		d.i++
	}
	return false
}

// digits reads a JSON integer without sign, fraction or exponent.
func (d *fastDec) digits() (string, bool) {
	d.ws()
	start := d.i
	for d.i < len(d.s) && '0' <= d.s[d.i] && d.s[d.i] <= '9' {
		d.i++
	}
	n := d.s[start:d.i]
	if n == "" || len(n) > 1 && n[0] == '0' {
		return "", false
	}
	return n, true
}

func (d *fastDec) uint(out *uint64) bool {
	n, ok := d.digits()
	if !ok {
		return false
	}
	v, err := strconv.ParseUint(n, 10, 64)
	*out = v
	return err == nil
}

func (d *fastDec) int(out *int64) bool {
	n, ok := d.digits()
	if !ok {
		return false
	}
	v, err := strconv.ParseInt(n, 10, 64)
	*out = v
	return err == nil
}

// array reads an array, calling elem for each element.
func (d *fastDec) array(elem func() bool) bool {
	if !d.byte('[') {
		return false
	}
	if d.byte(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if d.byte(']') {
			return true
		}
		if !d.byte(',') {
			return false
		}
	}
}

func (d *fastDec) strings(out *[]string) bool {
	var buf [64]string // a proof's hashes fit: one allocation for the slice, of its final size
	list := buf[:0]
	ok := d.array(func() bool {
		var s string
		if !d.str(&s) {
			return false
		}
		list = append(list, s)
		return true
	})
	// encoding/json decodes [] as an empty, non-nil slice
	*out = append(make([]string, 0, len(list)), list...)
	return ok
}

// object reads an object, calling member for each member name (its value comes next).
// A name seen twice fails.
func (d *fastDec) object(member func(name string) bool) bool {
	if !d.byte('{') {
		return false
	}
	if d.byte('}') {
		return true
	}
	var seenBuf [16]string
	seen := seenBuf[:0]
	for {
		var name string
		if !d.str(&name) || !d.byte(':') {
			return false
		}
		for _, s := range seen {
			if s == name {
				return false
			}
		}
		seen = append(seen, name)
		if !member(name) {
			return false
		}
		if d.byte('}') {
			return true
		}
		if !d.byte(',') {
			return false
		}
	}
}

func (d *fastDec) eventMember(name string, w *wireEvent) bool {
	switch name {
	case "bundle":
		return d.str(&w.BundleID)
	case "version":
		var v int64
		if !d.int(&v) || v == 0 || v > MaxSafeInteger {
			return false // "version": 0 and the out of range: encoding/json's path names the error
		}
		n := int(v)
		w.Version = &n
		return true
	case "seq":
		return d.uint(&w.Seq)
	case "type":
		var s string
		ok := d.str(&s)
		w.Type = EventType(s)
		return ok
	case "time":
		return d.str(&w.Time)
	case "actor":
		return d.object(func(name string) bool {
			switch name {
			case "kind":
				return d.str(&w.Actor.Kind)
			case "id":
				return d.str(&w.Actor.ID)
			case "agency":
				return d.str(&w.Actor.Agency)
			case "person":
				return d.str(&w.Actor.Person)
			}
			return false
		})
	case "details":
		return d.object(func(name string) bool { return d.detailsMember(name, &w.Details) })
	case "prev":
		return d.str(&w.Prev)
	case "key_id":
		return d.str(&w.KeyID)
	case "hash":
		return d.str(&w.Hash)
	case "signature":
		return d.str(&w.Signature)
	}
	return false
}

func (d *fastDec) detailsMember(name string, x *Details) bool {
	switch name {
	case "counterparts":
		return d.strings(&x.Counterparts)
	case "deadline":
		return d.str(&x.Deadline)
	case "documents":
		docs := []Document{}
		ok := d.array(func() bool {
			var doc Document
			if !d.object(func(name string) bool { return d.documentMember(name, &doc) }) {
				return false
			}
			docs = append(docs, doc)
			return true
		})
		x.Documents = docs
		return ok
	case "document_manifest":
		m := &DocumentManifest{}
		x.DocumentManifest = m
		return d.object(func(name string) bool {
			switch name {
			case "count":
				return d.int(&m.Count)
			case "sha256":
				return d.str(&m.SHA256)
			case "size":
				return d.int(&m.Size)
			}
			return false
		})
	case "counterpart":
		return d.str(&x.Counterpart)
	case "reasons":
		return d.strings(&x.Reasons)
	case "reference":
		return d.str(&x.Reference)
	case "request":
		r := &Request{}
		x.Request = r
		return d.object(func(name string) bool {
			switch name {
			case "external_identifier":
				return d.str(&r.CaseReference)
			case "request_reference":
				return d.str(&r.RequestReference)
			case "requesting_state":
				return d.str(&r.RequestingState)
			case "requested_state":
				return d.str(&r.RequestedState)
			case "legal_basis":
				return d.str(&r.LegalBasis)
			case "handling_code":
				return d.str(&r.HandlingCode)
			case "handling_restriction":
				return d.str(&r.HandlingRestriction)
			}
			return false
		})
	}
	return false
}

func (d *fastDec) documentMember(name string, doc *Document) bool {
	switch name {
	case "name":
		return d.str(&doc.Name)
	case "size":
		return d.int(&doc.Size)
	case "sha256":
		return d.str(&doc.SHA256)
	case "sha512":
		return d.str(&doc.SHA512)
	case "media_type":
		return d.str(&doc.MediaType)
	case "extraction_sha256":
		return d.str(&doc.Extraction)
	}
	return false
}
