package bagit

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"

	"github.com/evx-project/evx/shared/digest"
)

// Mode selects the rules Validate applies.
type Mode int

const (
	// ModeEVX applies RFC 8493 and evx's intake policy: what ingest accepts.
	ModeEVX Mode = iota
	// ModeSpec applies RFC 8493 alone.
	ModeSpec
)

// File describes a payload file to a [Consumer] before its bytes are read.
type File struct {
	Path    string            // relative to the bag, "data/..."
	Size    int64             // bytes, as the container declares them
	Claimed map[string]string // algorithm -> lowercase hex, as the bag's manifests claim
}

// Consumer receives each listed payload file once, in storage order, with a reader of
// its bytes; the digests are computed from the same bytes as the consumer reads them.
// Whatever the consumer leaves unread is read (and hashed) after it returns. The bytes
// are not yet verified when the consumer sees them: a file whose digest does not match
// its claim is reported in [Report.Errors] after the walk, and whatever the consumer
// stored for it must then be discarded. The consumer is called even when tag-file
// errors already make the bag invalid, so that a rejection can still name what arrived;
// check [Report.Valid] after the walk. A consumer error stops the walk and is returned
// by Validate as is.
type Consumer func(f File, r io.Reader) error

// Options configure [Bag.Validate].
type Options struct {
	Mode     Mode
	Consume  Consumer                        // may be nil
	Progress func(path string, octets int64) // called after each payload file; may be nil
	// Known gives the digests an earlier validation of the same bag computed for a payload
	// file (every algorithm of the bag's payload manifests) and passed to Verified. The walk
	// takes them in place of reading the file, which the consumer then does not see; a zip
	// member taken so is not read at all. May be nil.
	Known func(path string, size int64) (map[string]string, bool)
	// Select limits the walk to the payload files it accepts: the others are not read (a zip
	// member not at all, a tar member only to pass it), not handed to the consumer and not
	// in the report, and the checks over the whole bag (completeness, Payload-Oxum) are not
	// made. The report of a selective walk therefore never says the bag is valid: it serves
	// to verify some files (Verified), a part at a time. May be nil: every file.
	Select func(path string) bool
	// Verified is called after each payload file read in this walk whose digests match what
	// every payload manifest claims for it, with those digests. May be nil.
	Verified func(FileResult)
}

// FileResult is a payload file as read: its digests were computed from its bytes.
type FileResult struct {
	Path    string            `json:"path"`
	Size    int64             `json:"size"`
	Digests map[string]string `json:"digests"`
}

// Report is the outcome of a validation.
type Report struct {
	Kind       string       `json:"kind"`
	Version    string       `json:"version,omitempty"`
	Encoding   string       `json:"encoding,omitempty"`
	Algorithms []string     `json:"algorithms,omitempty"` // payload manifests verified
	Info       Info         `json:"info,omitempty"`
	Fields     *Fields      `json:"fields,omitempty"`
	Files      []FileResult `json:"files,omitempty"`
	Octets     int64        `json:"octets"`
	Streams    int64        `json:"streams"`
	Errors     []error      `json:"-"`
	Warnings   []Warning    `json:"warnings,omitempty"`
}

// Valid reports whether the bag is complete and valid under the mode used.
func (r *Report) Valid() bool { return len(r.Errors) == 0 }

// Err joins the report's errors, or returns nil for a valid bag.
func (r *Report) Err() error { return errors.Join(r.Errors...) }

func (r *Report) fail(err error) { r.Errors = append(r.Errors, err) }
func (r *Report) warn(path, msg string) {
	r.Warnings = append(r.Warnings, Warning{Path: path, Message: msg})
}

var (
	manifestName    = regexp.MustCompile(`^manifest-([a-z0-9]+)\.txt$`)
	tagManifestName = regexp.MustCompile(`^tagmanifest-([a-z0-9]+)\.txt$`)
)

type manifest struct {
	name    string
	alg     string
	entries map[string]string // path -> checksum
}

type consumerError struct{ err error }

func (c consumerError) Error() string { return c.err.Error() }

// ErrPartial is in the report of a walk limited by [Options.Select]: such a walk verifies the
// files it selects, never the bag.
var ErrPartial = errors.New("bagit: a selective walk verifies some payload files, not the bag")

// ErrAlreadyRead is returned by Validate on a bag read from a stream that was already
// validated.
var ErrAlreadyRead = errors.New("bagit: a streamed bag can be validated only once")

// Validate checks the bag and streams each payload file once through opts.Consume. The
// returned error is nil unless the consumer failed or a streamed bag is validated twice;
// everything wrong with the bag itself is in the Report.
func (b *Bag) Validate(opts Options) (*Report, error) {
	if b.used {
		if _, streamed := b.src.(*tarStream); streamed {
			return nil, ErrAlreadyRead
		}
	}
	b.used = true
	rep := &Report{Kind: b.kind}
	v := &validation{b: b, rep: rep, opts: opts, lateTags: map[string]map[string]string{}}
	if err := v.run(); err != nil {
		return rep, err
	}
	return rep, nil
}

type validation struct {
	b           *Bag
	rep         *Report
	opts        Options
	decl        Declaration
	payload     []*manifest
	tagm        []*manifest
	algs        []string
	tagAlgs     []string
	lateTags    map[string]map[string]string // tag files met while streaming: digests
	present     map[string]int               // payload path -> index in rep.Files
	fold        map[string][]string          // foldKey -> manifest paths
	presentFold map[string]string            // foldKey -> a present, hashed payload path
	copyBuf     []byte
}

func (v *validation) run() error {
	b, rep := v.b, v.rep
	raw, ok := b.tags["bagit.txt"]
	if !ok {
		rep.fail(&MissingError{Path: "bagit.txt"})
		return nil
	}
	decl, err := ParseDeclaration(raw)
	if err != nil {
		rep.fail(err)
		return nil
	}
	v.decl = decl
	rep.Version, rep.Encoding = decl.Version, decl.Encoding
	v.readInfo()
	v.readManifests()
	v.readFetch()
	if v.opts.Mode == ModeEVX {
		v.policy()
	}
	if err := v.walk(); err != nil {
		return err
	}
	if v.opts.Select != nil {
		rep.fail(ErrPartial)
		return nil
	}
	v.finish()
	return nil
}

func (v *validation) decode(name string) (string, bool) {
	text, warns, err := decodeTagFile(name, v.b.tags[name], v.decl.Encoding)
	v.rep.Warnings = append(v.rep.Warnings, warns...)
	if err != nil {
		v.rep.fail(err)
		return "", false
	}
	return text, true
}

func (v *validation) readInfo() {
	name := "bag-info.txt"
	if _, ok := v.b.tags[name]; !ok && !v.decl.atLeast(0, 96) {
		name = "package-info.txt" // its name before BagIt 0.96
	}
	if _, ok := v.b.tags[name]; !ok {
		return
	}
	text, ok := v.decode(name)
	if !ok {
		return
	}
	info, err := ParseInfo(name, text, v.b.lim)
	if err != nil {
		v.rep.fail(err)
		return
	}
	v.rep.Info = info
	f, _ := ParseFields(info)
	if len(info.Get(LabelCounterpart)) > 0 || v.opts.Mode == ModeEVX {
		v.rep.Fields = &f
	}
	oxums := info.Get("Payload-Oxum")
	for i, o := range oxums {
		if _, _, ok := parseOxum(o); !ok {
			v.rep.fail(&FormatError{Path: name, Reason: fmt.Sprintf("Payload-Oxum %q is not \"OCTETS.STREAMCOUNT\"", clip(o))})
		} else if i > 0 && o != oxums[0] {
			v.rep.fail(&FormatError{Path: name, Reason: "gives Payload-Oxum twice with different values"})
		}
	}
}

func (v *validation) readManifests() {
	rep := v.rep
	var unsupported []string
	for _, name := range v.b.tagOrder {
		pm := manifestName.FindStringSubmatch(name)
		tm := tagManifestName.FindStringSubmatch(name)
		if pm == nil && tm == nil {
			continue
		}
		alg, isTag := "", tm != nil
		if isTag {
			alg = tm[1]
		} else {
			alg = pm[1]
		}
		if !digest.Supported(alg) {
			unsupported = append(unsupported, name)
			rep.warn(name, fmt.Sprintf("algorithm %q is not one evx computes; this manifest is not verified", alg))
			continue
		}
		text, ok := v.decode(name)
		if !ok {
			continue
		}
		entries, warns, err := ParseManifest(name, alg, text, v.b.lim)
		rep.Warnings = append(rep.Warnings, warns...)
		if err != nil {
			rep.fail(err)
			continue
		}
		m := &manifest{name: name, alg: alg, entries: map[string]string{}}
		folds := map[string]string{}
		for _, e := range entries {
			if !isTag && !isPayload(e.Path) {
				rep.fail(&FormatError{Path: name, Line: e.Line, Reason: fmt.Sprintf("lists %q, which is not a payload file under data/", e.Path)})
				continue
			}
			if isTag && isPayload(e.Path) {
				rep.fail(&FormatError{Path: name, Line: e.Line, Reason: fmt.Sprintf("lists payload file %q; tag manifests list tag files only", e.Path)})
				continue
			}
			if isTag && tagManifestName.MatchString(e.Path) {
				rep.warn(name, fmt.Sprintf("lists the tag manifest %s; tag manifests should not list tag manifests", e.Path))
			}
			if prev, dup := m.entries[e.Path]; dup {
				switch {
				case prev != e.Checksum:
					rep.fail(&FormatError{Path: name, Line: e.Line, Reason: fmt.Sprintf("lists %s twice with different checksums", e.Path)})
				case v.decl.atLeast(1, 0):
					rep.fail(&FormatError{Path: name, Line: e.Line, Reason: fmt.Sprintf("lists %s twice; RFC 8493 allows each file once", e.Path)})
				default:
					rep.warn(name, fmt.Sprintf("lists %s twice with the same checksum", e.Path))
				}
				continue
			}
			k := foldKey(e.Path)
			if other, ok := folds[k]; ok {
				rep.warn(name, fmt.Sprintf("lists %s and %s, which differ only in letter case or Unicode normalization", other, e.Path))
			} else {
				folds[k] = e.Path
			}
			m.entries[e.Path] = e.Checksum
		}
		if isTag {
			v.tagm = append(v.tagm, m)
			v.tagAlgs = append(v.tagAlgs, alg)
		} else {
			v.payload = append(v.payload, m)
			v.algs = append(v.algs, alg)
		}
	}
	if len(v.payload) == 0 {
		if len(unsupported) > 0 {
			rep.fail(&FormatError{Path: unsupported[0], Reason: "no payload manifest uses an algorithm evx can verify (md5, sha1, sha224, sha256, sha384, sha512)"})
		} else if !v.anyManifestFile() {
			rep.fail(&MissingError{Path: "a payload manifest (manifest-ALGORITHM.txt)"})
		}
	}
	rep.Algorithms = append([]string(nil), v.algs...)
	v.fold = map[string][]string{}
	seen := map[string]bool{}
	for _, m := range v.payload {
		for p := range m.entries {
			if !seen[p] {
				seen[p] = true
				k := foldKey(p)
				v.fold[k] = append(v.fold[k], p)
			}
		}
	}
}

func (v *validation) anyManifestFile() bool {
	for _, n := range v.b.tagOrder {
		if manifestName.MatchString(n) {
			return true
		}
	}
	return false
}

func (v *validation) readFetch() {
	if _, ok := v.b.tags["fetch.txt"]; !ok {
		return
	}
	text, ok := v.decode("fetch.txt")
	if !ok {
		return
	}
	if _, err := ParseFetch(text, v.b.lim); err != nil {
		v.rep.fail(err)
	}
}

func (v *validation) policy() {
	rep := v.rep
	has256 := false
	for _, m := range v.payload {
		has256 = has256 || m.alg == "sha256"
	}
	if !has256 {
		rep.fail(&PolicyError{Path: "manifest-sha256.txt", Reason: "is required by evx and missing; re-create the bag with a SHA-256 manifest (evx bag create writes one)"})
	}
	if _, ok := v.b.tags["fetch.txt"]; ok {
		rep.fail(&PolicyError{Path: "fetch.txt", Reason: "is refused: evidence must arrive whole, every file inside the bag; fetch the files and re-create the bag"})
	}
	if _, ok := v.b.tags["bag-info.txt"]; !ok {
		rep.fail(&PolicyError{Path: "bag-info.txt", Reason: "is missing; evx needs it to name the counterpart(s) in EVX-Counterpart lines"})
		return
	}
	if rep.Info == nil && !v.hasFormatError("bag-info.txt") {
		rep.Info = Info{}
	}
	_, errs := ParseFields(rep.Info)
	rep.Errors = append(rep.Errors, errs...)
}

func (v *validation) hasFormatError(path string) bool {
	for _, e := range v.rep.Errors {
		var fe *FormatError
		if errors.As(e, &fe) && fe.Path == path {
			return true
		}
	}
	return false
}

// essentialTag reports whether a tag file must be read before any payload: the files
// validation parses. Other tag files may come later; they are checked against the tag
// manifests as they arrive.
func essentialTag(rel string) bool {
	switch rel {
	case "bagit.txt", "bag-info.txt", "package-info.txt", "fetch.txt":
		return true
	}
	return manifestName.MatchString(rel) || tagManifestName.MatchString(rel)
}

func (v *validation) walk() error {
	rep := v.rep
	v.present = map[string]int{}
	err := v.b.src.stream(func(name string, size int64, r io.Reader) error {
		if !isPayload(name) {
			return v.lateTag(name, size, r)
		}
		if v.opts.Select != nil && !v.opts.Select(name) {
			return nil
		}
		rep.Octets += size
		rep.Streams++
		claims, listedAs := v.claims(name)
		if claims == nil {
			for _, m := range v.payload {
				rep.fail(&UnlistedError{Path: name, Manifest: m.name})
			}
			v.present[name] = len(rep.Files)
			rep.Files = append(rep.Files, FileResult{Path: name, Size: size})
			return nil // not evidence: skipped, not handed to the consumer
		}
		if listedAs != name {
			rep.warn(name, fmt.Sprintf("is listed as %s, which differs only in letter case or Unicode normalization", listedAs))
		}
		for _, m := range v.payload {
			if _, ok := m.entries[listedAs]; !ok {
				rep.fail(&UnlistedError{Path: name, Manifest: m.name})
			}
		}
		if v.opts.Known != nil {
			if sums, ok := v.opts.Known(name, size); ok && v.knownComplete(sums) {
				v.present[name] = len(rep.Files)
				rep.Files = append(rep.Files, FileResult{Path: name, Size: size, Digests: sums})
				v.compare(name, listedAs, sums)
				if v.opts.Progress != nil {
					v.opts.Progress(name, rep.Octets)
				}
				return nil
			}
		}
		dw, err := digest.New(v.algs...)
		if err != nil {
			return err
		}
		if v.opts.Consume != nil {
			tee := &hashingTee{r: r, dw: dw}
			if err := v.opts.Consume(File{Path: name, Size: size, Claimed: claims}, tee); err != nil {
				var ae *ArchiveError
				var le *LimitError
				if errors.As(err, &ae) || errors.As(err, &le) {
					return err
				}
				return consumerError{err}
			}
		}
		// Whatever the consumer left unread goes to the hashes alone.
		if _, err := io.CopyBuffer(dw, r, v.buf()); err != nil {
			return readErr(name, err)
		}
		sums := dw.Sums()
		v.present[name] = len(rep.Files)
		rep.Files = append(rep.Files, FileResult{Path: name, Size: dw.Size(), Digests: sums})
		if v.compare(name, listedAs, sums) && v.opts.Verified != nil {
			v.opts.Verified(FileResult{Path: name, Size: dw.Size(), Digests: sums})
		}
		if v.opts.Progress != nil {
			v.opts.Progress(name, rep.Octets)
		}
		return nil
	})
	var ce consumerError
	if errors.As(err, &ce) {
		return ce.err
	}
	if err != nil {
		rep.fail(err)
	}
	return nil
}

// compare checks a payload file's digests against every payload manifest, reports each
// difference, and says whether every manifest lists the file with the digest it has.
func (v *validation) compare(name, listedAs string, sums map[string]string) bool {
	ok := true
	for _, m := range v.payload {
		want, listed := m.entries[listedAs]
		if !listed {
			ok = false // an UnlistedError is in the report
			continue
		}
		if sums[m.alg] != want {
			ok = false
			v.rep.fail(&ChecksumError{Path: name, Manifest: m.name, Algorithm: m.alg, Want: want, Got: sums[m.alg]})
		}
	}
	return ok
}

// knownComplete says whether digests from Options.Known cover every payload algorithm.
func (v *validation) knownComplete(sums map[string]string) bool {
	for _, a := range v.algs {
		if sums[a] == "" {
			return false
		}
	}
	return true
}

// hashingTee is the reader a Consumer gets: it writes to dw what it reads from r, and its
// SHA256 method (pipeline.HashingReader) says the SHA-256 of what it returned so far, so that
// a consumer need not hash the same bytes again.
type hashingTee struct {
	r  io.Reader
	dw *digest.Writer
}

func (t *hashingTee) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		t.dw.Write(p[:n])
	}
	return n, err
}

// SHA256 is the lowercase hex SHA-256 of the bytes Read returned so far.
func (t *hashingTee) SHA256() string { return t.dw.SHA256() }

// claims returns the checksums the manifests give for a payload file, and the path they
// list it under: the file's own, or one differing only in case or normalization.
func (v *validation) claims(name string) (map[string]string, string) {
	get := func(p string) map[string]string {
		var c map[string]string
		for _, m := range v.payload {
			if s, ok := m.entries[p]; ok {
				if c == nil {
					c = map[string]string{}
				}
				c[m.alg] = s
			}
		}
		return c
	}
	if c := get(name); c != nil {
		return c, name
	}
	if alts := v.fold[foldKey(name)]; len(alts) == 1 {
		return get(alts[0]), alts[0]
	}
	return nil, name
}

// buf returns the copy buffer: large reads keep system calls few on stored members.
func (v *validation) buf() []byte {
	if v.copyBuf == nil {
		v.copyBuf = make([]byte, 256<<10)
	}
	return v.copyBuf
}

func (v *validation) lateTag(name string, size int64, r io.Reader) error {
	if essentialTag(name) {
		return &OrderError{Path: name}
	}
	if size > v.b.lim.MaxTagFileSize {
		return &LimitError{Path: name, Limit: "MaxTagFileSize", Max: v.b.lim.MaxTagFileSize, Got: size}
	}
	dw, err := digest.New(v.tagAlgs...)
	if err != nil {
		return err
	}
	if _, err := io.CopyBuffer(dw, r, v.buf()); err != nil {
		return readErr(name, err)
	}
	v.lateTags[name] = dw.Sums()
	return nil
}

func (v *validation) finish() {
	rep := v.rep
	v.presentFold = map[string]string{}
	for _, f := range rep.Files {
		if f.Digests != nil {
			if _, ok := v.presentFold[foldKey(f.Path)]; !ok {
				v.presentFold[foldKey(f.Path)] = f.Path
			}
		}
	}
	// Completeness: every manifest entry names a file that arrived.
	for _, m := range v.payload {
		paths := make([]string, 0, len(m.entries))
		for p := range m.entries {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			if _, ok := v.present[p]; ok {
				continue
			}
			if alias, ok := v.aliasOf(p); ok {
				got := rep.Files[v.present[alias]].Digests[m.alg]
				if got != m.entries[p] {
					rep.fail(&ChecksumError{Path: p, Manifest: m.name, Algorithm: m.alg, Want: m.entries[p], Got: got})
				} else if m == v.payload[0] {
					rep.warn(p, fmt.Sprintf("is not in the bag, but %s, which differs only in letter case or Unicode normalization, is and has the same content", alias))
				}
				continue
			}
			rep.fail(&MissingError{Path: p, Manifest: m.name})
		}
	}
	// Tag manifests.
	tagSums := map[string]map[string]string{}
	for _, m := range v.tagm {
		paths := make([]string, 0, len(m.entries))
		for p := range m.entries {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			sums, ok := v.lateTags[p]
			if !ok {
				raw, have := v.b.tags[p]
				if !have {
					rep.fail(&MissingError{Path: p, Manifest: m.name})
					continue
				}
				if tagSums[p] == nil {
					dw, _ := digest.New(v.tagAlgs...)
					dw.Write(raw)
					tagSums[p] = dw.Sums()
				}
				sums = tagSums[p]
			}
			if sums[m.alg] != m.entries[p] {
				rep.fail(&ChecksumError{Path: p, Manifest: m.name, Algorithm: m.alg, Want: m.entries[p], Got: sums[m.alg]})
			}
		}
	}
	// Payload-Oxum.
	if o := rep.Info.First("Payload-Oxum"); o != "" {
		if octets, files, ok := parseOxum(o); ok && (octets != rep.Octets || files != rep.Streams) {
			rep.fail(&OxumError{WantOctets: octets, WantFiles: files, GotOctets: rep.Octets, GotFiles: rep.Streams})
		}
	}
	// Names a case-insensitive or normalizing file system would merge, and system files.
	seen := map[string]string{}
	for _, f := range rep.Files {
		k := foldKey(f.Path)
		if other, ok := seen[k]; ok {
			rep.warn(f.Path, fmt.Sprintf("differs from %s only in letter case or Unicode normalization; they collide on some file systems", other))
		} else {
			seen[k] = f.Path
		}
		if isSystemFile(f.Path) {
			rep.warn(f.Path, "is operating-system metadata, probably added by a copy; consider leaving it out")
		}
	}
}

// aliasOf finds a present payload file whose name differs from p only in case or
// normalization.
func (v *validation) aliasOf(p string) (string, bool) {
	name, ok := v.presentFold[foldKey(p)]
	return name, ok
}
