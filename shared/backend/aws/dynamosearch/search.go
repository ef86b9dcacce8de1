// Package dynamosearch keeps the bundle search index (pipeline.SearchIndex) in one DynamoDB
// table, for evx on AWS: an inverted index of the words of each bundle's documents, names and
// references, queried without any server of its own. docs/aws.md says why this store (a
// search cluster running all month costs more than the rest of evx together; SQLite in the
// functions passes their size budget).
//
// Layout (a compatibility promise; template.yaml declares the keys, pk S and sk S):
//
//	pk "w#<word>"     sk <newest>#<bundle>         docs SS, and the bundle's fields below
//	pk "x#<2 letters>" sk <word>#<newest>#<bundle>  docs SS (prefix queries)
//	pk "recent"       sk <newest>#<bundle>         the bundle's fields: ref, rq, up, cps SS, rcv N
//	pk "b#<bundle>"   sk "meta"                    the fields, words SS (what IndexBundle wrote)
//
// <newest> is 20 digits of MaxInt64 less the arrival in Unix nanoseconds, so a Query reads
// newest first. A word is a run of letters and digits, case and diacritics folded (as the
// embedded index's unicode61 tokenizer folds them). docs names the documents a word occurs in
// ("#refs" for the references), at most MaxDocsPerWord.
//
// What it does not do, against the embedded index (sqlitesearch): phrases (the words of a
// phrase are required in one document, not side by side), snippets, and ranking other than
// newest first. A query reads its rarest word's partition (the longest word stands for the
// rarest) and checks the others with batch reads; it reads at most MaxScan items.
package dynamosearch

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/text/unicode/norm"

	"github.com/evx-project/evx/shared/pipeline"
)

// Limits.
const (
	MaxWordsPerBundle = 20000 // distinct words indexed of one bundle; the rest are not searchable
	MaxDocsPerWord    = 40    // document names kept on one word of one bundle
	MaxWordLen        = 64    // longer runs are cut
	MaxScan           = 20000 // items one query reads at most
	refsDoc           = "#refs"
)

type api interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

var _ api = (*dynamodb.Client)(nil)

// Index is a pipeline.SearchIndex on one DynamoDB table.
type Index struct {
	db    api
	table string
}

var _ pipeline.SearchIndex = (*Index)(nil)

// New returns the index kept in table.
func New(db *dynamodb.Client, table string) *Index { return &Index{db: db, table: table} }

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": s(pk), "sk": s(sk)}
}

// Words splits text into words: runs of letters and digits, lowercased, diacritics removed.
func Words(text string) []string {
	var out []string
	var cur strings.Builder
	n := 0
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
			n = 0
		}
	}
	for _, r := range norm.NFD.String(text) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if n < MaxWordLen {
				cur.WriteRune(unicode.ToLower(r))
				n++
			}
		default:
			flush()
		}
	}
	flush()
	return out
}

func newest(t time.Time) string { return fmt.Sprintf("%020d", math.MaxInt64-t.UnixNano()) }

// fields are a bundle's attributes as every item that stands for it carries them.
func fields(rec pipeline.SearchRecord) map[string]types.AttributeValue {
	m := map[string]types.AttributeValue{
		"ref": s(rec.CaseReference), "rq": s(rec.RequestReference), "up": s(rec.Uploader),
		"rcv": &types.AttributeValueMemberN{Value: strconv.FormatInt(rec.Received.UnixNano(), 10)},
	}
	if len(rec.Counterparts) > 0 {
		cps := slices.Clone(rec.Counterparts)
		slices.Sort(cps)
		m["cps"] = &types.AttributeValueMemberSS{Value: slices.Compact(cps)}
	}
	return m
}

func with(m map[string]types.AttributeValue, kv ...any) map[string]types.AttributeValue {
	out := make(map[string]types.AttributeValue, len(m)+len(kv)/2)
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1].(types.AttributeValue)
	}
	return out
}

// IndexBundle implements pipeline.SearchIndex: it writes the bundle's items and deletes those
// of words an earlier record had and this one lacks.
func (x *Index) IndexBundle(ctx context.Context, rec pipeline.SearchRecord) error {
	docs := map[string][]string{} // word -> documents
	add := func(text, doc string) {
		for _, w := range Words(text) {
			if len(docs) >= MaxWordsPerBundle && docs[w] == nil {
				continue
			}
			if d := docs[w]; len(d) < MaxDocsPerWord && !slices.Contains(d, doc) {
				docs[w] = append(d, doc)
			}
		}
	}
	add(rec.CaseReference+" "+rec.RequestReference, refsDoc)
	for _, d := range rec.Documents {
		add(d.Name+" "+d.Text, d.Name)
	}
	old, err := x.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &x.table, Key: key("b#"+rec.BundleID, "meta"), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("search index %s: %w", rec.BundleID, err)
	}
	when, f := newest(rec.Received), fields(rec)
	var writes []types.WriteRequest
	put := func(item map[string]types.AttributeValue) {
		writes = append(writes, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
	}
	del := func(k map[string]types.AttributeValue) {
		writes = append(writes, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k}})
	}
	if oldWhen, ok := old.Item["when"].(*types.AttributeValueMemberS); ok {
		oldWords, _ := old.Item["words"].(*types.AttributeValueMemberSS)
		if oldWhen.Value != when {
			del(key("recent", oldWhen.Value+"#"+rec.BundleID))
		}
		if oldWords != nil {
			for _, w := range oldWords.Value {
				if _, keep := docs[w]; !keep || oldWhen.Value != when {
					del(key("w#"+w, oldWhen.Value+"#"+rec.BundleID))
					if len(w) >= 2 {
						del(key("x#"+w[:prefixLen(w)], w+"#"+oldWhen.Value+"#"+rec.BundleID))
					}
				}
			}
		}
	}
	words := make([]string, 0, len(docs))
	for w, ds := range docs {
		words = append(words, w)
		set := &types.AttributeValueMemberSS{Value: ds}
		put(with(f, "pk", s("w#"+w), "sk", s(when+"#"+rec.BundleID), "docs", set))
		if len(w) >= 2 {
			put(map[string]types.AttributeValue{"pk": s("x#" + w[:prefixLen(w)]), "sk": s(w + "#" + when + "#" + rec.BundleID), "docs": set})
		}
	}
	put(with(f, "pk", s("recent"), "sk", s(when+"#"+rec.BundleID)))
	if err := x.batchWrite(ctx, writes); err != nil {
		return fmt.Errorf("search index %s: %w", rec.BundleID, err)
	}
	// The bundle's own item last: Indexed is true only once everything else is written.
	meta := with(f, "pk", s("b#"+rec.BundleID), "sk", s("meta"), "when", s(when))
	if len(words) > 0 {
		meta["words"] = &types.AttributeValueMemberSS{Value: words}
	}
	return x.batchWrite(ctx, []types.WriteRequest{{PutRequest: &types.PutRequest{Item: meta}}})
}

// prefixLen is how many bytes of w name its prefix partition: its first two letters.
func prefixLen(w string) int {
	n, i := 0, 0
	for i = range w {
		if n == 2 {
			return i
		}
		n++
	}
	return len(w)
}

func (x *Index) batchWrite(ctx context.Context, writes []types.WriteRequest) error {
	// A put and a delete of the same key may not share a batch: deletes go first, alone.
	slices.SortStableFunc(writes, func(a, b types.WriteRequest) int {
		switch {
		case a.DeleteRequest != nil && b.DeleteRequest == nil:
			return -1
		case a.DeleteRequest == nil && b.DeleteRequest != nil:
			return 1
		}
		return 0
	})
	for len(writes) > 0 {
		n := min(len(writes), 25)
		if i := slices.IndexFunc(writes[:n], func(w types.WriteRequest) bool { return w.PutRequest != nil }); i > 0 && writes[0].DeleteRequest != nil {
			n = i
		}
		req := map[string][]types.WriteRequest{x.table: writes[:n]}
		writes = writes[n:]
		for try := 0; len(req[x.table]) > 0; try++ {
			out, err := x.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: req})
			if err != nil {
				return err
			}
			req = out.UnprocessedItems
			if len(req[x.table]) > 0 {
				if try > 20 {
					return errors.New("batch write: items left unprocessed")
				}
				time.Sleep(time.Duration(10<<min(try, 6)) * time.Millisecond)
			}
		}
	}
	return nil
}

// Indexed implements pipeline.SearchIndex.
func (x *Index) Indexed(ctx context.Context, bundleID string) (bool, error) {
	out, err := x.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &x.table, Key: key("b#"+bundleID, "meta"), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return false, fmt.Errorf("search index %s: %w", bundleID, err)
	}
	return out.Item != nil, nil
}

// hit is one bundle an item stands for.
type hit struct {
	bundle, when string
	item         map[string]types.AttributeValue
}

func getS(m map[string]types.AttributeValue, k string) string {
	if v, ok := m[k].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func getSS(m map[string]types.AttributeValue, k string) []string {
	if v, ok := m[k].(*types.AttributeValueMemberSS); ok {
		return v.Value
	}
	return nil
}

// matches applies q's fields to a bundle's attributes.
func matches(q pipeline.SearchQuery, m map[string]types.AttributeValue) bool {
	up, cps := getS(m, "up"), getSS(m, "cps")
	switch {
	case q.Case != "" && !strings.HasPrefix(strings.ToLower(getS(m, "ref")), strings.ToLower(q.Case)):
		return false
	case q.Uploader != "" && up != q.Uploader:
		return false
	case q.Counterpart != "" && !slices.Contains(cps, q.Counterpart):
		return false
	case q.Party != "":
		sender := strings.HasPrefix(up, q.Party+"/") || q.PartyHome && !strings.Contains(up, "/")
		if !sender && !slices.Contains(cps, q.Party) {
			return false
		}
	}
	return true
}

// queryTerms reads q.Text as evx's search box does: whitespace-separated fields, each of
// words; a field ending in * makes its last word a prefix. Everything else is a word.
func queryTerms(text string) (words, prefixes []string) {
	for _, field := range strings.Fields(text) {
		ws := Words(field)
		if len(ws) == 0 {
			continue
		}
		if strings.HasSuffix(field, "*") {
			prefixes = append(prefixes, ws[len(ws)-1])
			ws = ws[:len(ws)-1]
		}
		words = append(words, ws...)
	}
	slices.Sort(words)
	return slices.Compact(words), prefixes
}

// Search implements pipeline.SearchIndex.
func (x *Index) Search(ctx context.Context, q pipeline.SearchQuery) ([]pipeline.SearchHit, error) {
	words, prefixes := queryTerms(q.Text)
	if strings.TrimSpace(q.Text) != "" && len(words)+len(prefixes) == 0 {
		return nil, nil
	}
	limit := q.Limit
	if limit <= 0 {
		limit = pipeline.DefaultSearchLimit
	}
	// The time window as a range of sort keys: received in [From, To).
	lo, hi := "0", "~"
	if !q.To.IsZero() {
		lo = fmt.Sprintf("%020d", math.MaxInt64-q.To.UnixNano()+1)
	}
	if !q.From.IsZero() {
		hi = fmt.Sprintf("%020d", math.MaxInt64-q.From.UnixNano()) + "#~"
	}
	// Prefixes first: every (bundle, documents) a prefix reaches, at most MaxScan items.
	var prefixDocs []map[string][]string
	for _, p := range prefixes {
		if prefixLen(p) < 2 || len([]rune(p)) < 2 {
			return nil, &pipeline.SearchQueryError{Reason: fmt.Sprintf("prefix %q*: a prefix needs two letters at least", p)}
		}
		m := map[string][]string{}
		pk := "x#" + p[:prefixLen(p)]
		err := x.query(ctx, pk, "", "", p, func(it map[string]types.AttributeValue) bool {
			parts := strings.Split(getS(it, "sk"), "#")
			if len(parts) == 3 && parts[1] >= lo && parts[1]+"#" <= hi {
				m[parts[1]+"#"+parts[2]] = append(m[parts[1]+"#"+parts[2]], getSS(it, "docs")...)
			}
			return true
		})
		if err != nil {
			return nil, err
		}
		prefixDocs = append(prefixDocs, m)
	}
	// The driving word's partition is read; the other words are checked per candidate.
	drive := driver(words)
	rest := slices.DeleteFunc(slices.Clone(words), func(w string) bool { return w == drive })
	var out []pipeline.SearchHit
	// flush checks the candidates read so far against the words and prefixes they were not
	// read by.
	var pending []hit
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		found := map[string][]string{} // word "#" sk -> docs
		var keys []map[string]types.AttributeValue
		for _, h := range pending {
			for _, w := range rest {
				keys = append(keys, key("w#"+w, h.when+"#"+h.bundle))
			}
		}
		if err := x.batchGet(ctx, keys, func(it map[string]types.AttributeValue) {
			found[getS(it, "pk")+"|"+getS(it, "sk")] = getSS(it, "docs")
		}); err != nil {
			return err
		}
		for _, h := range pending {
			if len(out) >= limit {
				break
			}
			// The documents every term is in: the driving term's first (the item's own docs,
			// or the first prefix's when the query has prefixes alone).
			docs := getSS(h.item, "docs")
			ok := true
			for _, w := range rest {
				d, has := found["w#"+w+"|"+h.when+"#"+h.bundle]
				if !has {
					ok = false
					break
				}
				docs = intersect(docs, d)
			}
			for i, m := range prefixDocs {
				if !ok {
					break
				}
				if len(words) == 0 && i == 0 {
					continue // the base already
				}
				d, has := m[h.when+"#"+h.bundle]
				if !has {
					ok = false
					break
				}
				docs = intersect(docs, d)
			}
			if !ok || (len(words)+len(prefixes) > 0 && len(docs) == 0) {
				continue
			}
			out = append(out, toHit(h, docs))
		}
		pending = pending[:0]
		return nil
	}
	visit := func(it map[string]types.AttributeValue) bool {
		sk := getS(it, "sk")
		when, bundle, _ := strings.Cut(sk, "#")
		if matches(q, it) {
			pending = append(pending, hit{bundle: bundle, when: when, item: it})
		}
		if len(pending) >= 100 {
			if err := flush(); err != nil {
				return false
			}
		}
		return len(out) < limit
	}
	var err error
	switch {
	case len(words) > 0:
		err = x.query(ctx, "w#"+drive, lo, hi, "", visit)
	case len(prefixes) > 0:
		// Only prefixes: the bundles of the first, newest first, their fields read from the
		// bundles' recent items (one Query of that partition over the window).
		err = x.query(ctx, "recent", lo, hi, "", func(it map[string]types.AttributeValue) bool {
			when, bundle, _ := strings.Cut(getS(it, "sk"), "#")
			d, ok := prefixDocs[0][when+"#"+bundle]
			if !ok {
				return true
			}
			it = with(it, "docs", &types.AttributeValueMemberSS{Value: d})
			return visit(it)
		})
	default:
		err = x.query(ctx, "recent", lo, hi, "", visit)
	}
	if err == nil {
		err = flush()
	}
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return out, nil
}

// driver is the word whose partition a query reads: the longest (the likeliest rarest).
func driver(words []string) string {
	best := ""
	for _, w := range words {
		if len(w) > len(best) {
			best = w
		}
	}
	return best
}

// intersect keeps the documents in both lists.
func intersect(a, b []string) []string {
	var out []string
	for _, d := range a {
		if slices.Contains(b, d) {
			out = append(out, d)
		}
	}
	return out
}

func toHit(h hit, docs []string) pipeline.SearchHit {
	rcv, _ := strconv.ParseInt(func() string {
		if v, ok := h.item["rcv"].(*types.AttributeValueMemberN); ok {
			return v.Value
		}
		return "0"
	}(), 10, 64)
	var names []string
	for _, d := range docs {
		if d != refsDoc {
			names = append(names, d)
		}
	}
	slices.Sort(names)
	cps := getSS(h.item, "cps")
	slices.Sort(cps)
	return pipeline.SearchHit{BundleID: h.bundle, CaseReference: getS(h.item, "ref"), RequestReference: getS(h.item, "rq"),
		Uploader: getS(h.item, "up"), Counterparts: cps, Received: time.Unix(0, rcv).UTC(), Documents: names}
}

// query reads partition pk in sort-key order, within [lo, hi] when set, or with sort keys that
// begin with prefix, calling each until it returns false or MaxScan items were read.
func (x *Index) query(ctx context.Context, pk, lo, hi, prefix string, each func(map[string]types.AttributeValue) bool) error {
	in := &dynamodb.QueryInput{TableName: &x.table, ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(pk)}}
	switch {
	case prefix != "":
		in.KeyConditionExpression = aws.String("pk = :pk AND begins_with(sk, :pre)")
		in.ExpressionAttributeValues[":pre"] = s(prefix)
	case lo != "0" || hi != "~":
		in.KeyConditionExpression = aws.String("pk = :pk AND sk BETWEEN :lo AND :hi")
		in.ExpressionAttributeValues[":lo"], in.ExpressionAttributeValues[":hi"] = s(lo), s(hi)
	default:
		in.KeyConditionExpression = aws.String("pk = :pk")
	}
	read := 0
	for {
		page, err := x.db.Query(ctx, in)
		if err != nil {
			return err
		}
		for _, it := range page.Items {
			read++
			if !each(it) || read >= MaxScan {
				return nil
			}
		}
		if len(page.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

func (x *Index) batchGet(ctx context.Context, keys []map[string]types.AttributeValue, each func(map[string]types.AttributeValue)) error {
	for len(keys) > 0 {
		n := min(len(keys), 100)
		req := map[string]types.KeysAndAttributes{x.table: {Keys: keys[:n]}}
		keys = keys[n:]
		for try := 0; len(req) > 0; try++ {
			out, err := x.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return err
			}
			for _, it := range out.Responses[x.table] {
				each(it)
			}
			req = out.UnprocessedKeys
			if len(req) > 0 {
				if try > 20 {
					return errors.New("batch get: keys left unprocessed")
				}
				time.Sleep(time.Duration(10<<min(try, 6)) * time.Millisecond)
			}
		}
	}
	return nil
}
