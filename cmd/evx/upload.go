package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/evx-project/evx/shared/bagit"
	"github.com/evx-project/evx/shared/pipeline"
	"github.com/evx-project/evx/shared/request"
)

func runUpload(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("evx upload", stderr,
		"Usage: evx upload --counterpart ID... [--request ID] [--field Label=Value]... [--seal-key FILE --agency ID --person NAME] [--server URL --token-file F [--part-size BYTES] | --data DIR] [--json] FILE|FOLDER|BAG.zip...\n"+
			"Bags the files and folders (or sends one existing .zip/.tar/.tar.gz bag as is) and uploads it.\n"+
			"With --request the bundle answers that request (EVX-Request-Reference): it goes only to the\n"+
			"request's parties, while the request takes answers (received or accepted).\n"+
			"Exit status: 0 accepted, 1 rejected (the reasons are printed), 2 usage or unreadable input.\n")
	var ex exchangeFlags
	ex.register(fs, "uploader")
	var counterparts, fields repeated
	fs.Var(&counterparts, "counterpart", "receiving counterpart id (repeatable; at least one)")
	fs.Var(&fields, "field", "bag-info.txt field Label=Value, e.g. EVX-Legal-Basis=EU-EIO (repeatable)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	reqID := fs.String("request", "", "the request `ID` the bundle answers (sets EVX-Request-Reference; see evx request)")
	partSize := fs.Int64("part-size", DefaultPartSize, "with --server, a bag larger than this many `BYTES` (or than 4 MiB) is sent resumably, in parts of this size: run the same command again to continue an interrupted upload")
	fs.StringVar(&ex.agency, "agency", "", "the agency you upload for: with --data, as evx serve --agency (default "+defaultAgency+"); with --seal-key, the sending agency the seal names")
	var seal sealFlags
	seal.registerFor(fs, &ex.agency)
	srcs, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if *reqID != "" {
		for _, f := range fields {
			if l, _, _ := strings.Cut(f, "="); strings.EqualFold(strings.TrimSpace(l), bagit.LabelRequestReference) {
				fmt.Fprintln(stderr, "evx upload: give the request with --request or with --field "+bagit.LabelRequestReference+"=..., not both")
				return exitUsage
			}
		}
		fields = append(fields, bagit.LabelRequestReference+"="+*reqID)
	}
	if len(srcs) == 0 {
		fmt.Fprintln(stderr, "evx upload: missing argument FILE|FOLDER|BAG.zip: name the files or folders to send (or one bag archive)")
		return exitUsage
	}
	bagPath := ""
	if len(srcs) == 1 && len(counterparts) == 0 && len(fields) == 0 && bagit.KindOf(srcs[0]) != "folder" {
		bagPath = srcs[0] // an existing bag archive
		if *seal.key != "" {
			fmt.Fprintln(stderr, "evx upload: --seal-key seals a bag as evx makes it; an existing bag is sent as is (seal it with evx bag create --seal-key)")
			return exitUsage
		}
	} else {
		if len(counterparts) == 0 {
			fmt.Fprintln(stderr, "evx upload: name at least one --counterpart to send the bundle to")
			return exitUsage
		}
		info, err := bagInfo(counterparts, fields)
		if err != nil {
			fmt.Fprintln(stderr, "evx upload:", err)
			return exitUsage
		}
		hook, err := seal.hook(ctx)
		if err != nil {
			fmt.Fprintln(stderr, "evx upload:", err)
			return exitUsage
		}
		if hook != nil && ex.uploader == "" {
			// With --data, the sealing person is the uploader, of the sealing agency.
			ex.uploader = pipeline.UploaderName(pipeline.Party{Agency: *seal.agency, Person: *seal.person})
		}
		tmp, err := os.MkdirTemp("", "evx-upload-")
		if err != nil {
			fmt.Fprintln(stderr, "evx upload:", err)
			return exitUsage
		}
		defer os.RemoveAll(tmp)
		bagPath = filepath.Join(tmp, "bundle.zip")
		total := sourceBytes(srcs)
		p := newMeter(stderr, *asJSON, "bagging", total)
		err, done := interruptible(ctx, func() error {
			_, err := bagit.Create(bagPath, srcs, bagit.CreateOptions{Info: info, Seal: hook,
				Reading: func(stage, path string, n int) {
					p.stage("bagging: "+stage, total)
					p.file(path)
					p.add(int64(n))
				}})
			return err
		})
		p.finish()
		if !done {
			return exitInterrupted // the deferred RemoveAll takes the partial bag
		}
		if err != nil {
			fmt.Fprintln(stderr, "evx upload:", err)
			return exitUsage
		}
	}
	x, err := ex.open(ctx, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "evx upload:", err)
		return exitUsage
	}
	defer x.close()
	if *reqID != "" {
		if err := checkRequest(ctx, x, *reqID); err != nil {
			fmt.Fprintln(stderr, "evx upload:", err)
			return exitInvalid
		}
	}
	f, err := os.Open(bagPath)
	if err != nil {
		fmt.Fprintln(stderr, "evx upload:", err)
		return exitUsage
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		fmt.Fprintf(stderr, "evx upload: %s is not a readable bag archive\n", bagPath)
		return exitUsage
	}
	var st *pipeline.Status
	if rx, ok := x.(*remoteExchange); ok && *partSize > 0 && fi.Size() > min(*partSize, MaxWholeUpload) {
		st, err = uploadResumable(ctx, rx.c, f, fi.Size(), *partSize, *asJSON, stderr)
		err = rx.explain(err)
	} else {
		p := newMeter(stderr, *asJSON, "uploading", fi.Size())
		st, err = x.upload(ctx, countingReader{f, p}, fi.Size())
		p.finish()
	}
	if err != nil {
		fmt.Fprintln(stderr, "evx upload:", err)
		return exitInvalid
	}
	if *asJSON {
		writeJSON(stdout, st)
	} else {
		printStatus(stdout, st)
	}
	if st.Ingest != nil && !st.Ingest.Accepted {
		return exitInvalid
	}
	return exitOK
}

func printStatus(w io.Writer, st *pipeline.Status) {
	fmt.Fprintf(w, "bundle %s\n", st.Upload.BundleID)
	if st.Ingest == nil {
		fmt.Fprintf(w, "state %s: stored, not yet processed\n", st.Upload.State)
		return
	}
	if !st.Ingest.Accepted {
		fmt.Fprintln(w, "REJECTED:")
		for _, r := range st.Ingest.Reasons {
			fmt.Fprintf(w, "  - %s\n", r)
		}
		return
	}
	var total int64
	for _, d := range st.Ingest.Documents {
		total += d.Size
	}
	fmt.Fprintf(w, "accepted: %s, %s\n", count(int64(len(st.Ingest.Documents)), "document"), humanBytes(total))
	for _, d := range st.Ingest.Documents {
		fmt.Fprintf(w, "  %s  %s  %s\n", d.SHA256, d.Name, humanBytes(d.Size))
	}
	for _, d := range st.Deliveries {
		fmt.Fprintf(w, "delivered to %s as %s, receipt due %s\n", d.Counterpart, d.ID, d.Deadline.Format("2006-01-02 15:04 MST"))
	}
	for _, r := range st.Ingest.Reasons {
		fmt.Fprintf(w, "note: %s\n", r)
	}
}

// checkRequest makes sure the request a bundle is to answer exists and takes answers, before
// the bag is sent; ingest checks its parties again.
func checkRequest(ctx context.Context, x exchange, id string) error {
	var s *request.State
	var err error
	switch v := x.(type) {
	case *localExchange:
		s, err = v.n.Requests.State(ctx, id)
	case *remoteExchange:
		s, err = v.c.Request(ctx, id)
	default:
		return nil
	}
	if err != nil {
		return fmt.Errorf("--request %s: %w", id, err)
	}
	if s.Status != request.Received && s.Status != request.Accepted {
		return fmt.Errorf("--request %s: the request is %s and takes no answer", id, s.Status)
	}
	return nil
}
