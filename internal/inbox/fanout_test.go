package inbox

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
)

// item is a conversation reduced to what the merge looks at: its time
// (minutes after t0) and whether it is unread.
type item struct {
	name   string
	min    int
	unread bool
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func at(i item) time.Time { return t0.Add(time.Duration(i.min) * time.Minute) }
func all(item) bool       { return true }
func unread(i item) bool  { return i.unread }

// names renders picks as "source:name", to compare in one line.
func names(p []Pick[item]) string {
	var b []string
	for _, x := range p {
		b = append(b, fmt.Sprintf("%d:%s", x.Source, x.Item.name))
	}
	return strings.Join(b, " ")
}

func TestMerge(t *testing.T) {
	t.Parallel()
	a3 := []item{{"a1", 30, false}, {"a2", 20, true}, {"a3", 10, false}}
	b3 := []item{{"b1", 25, true}, {"b2", 15, false}, {"b3", 5, true}}
	for _, c := range []struct {
		name    string
		sources []Source[item]
		limit   int
		keep    func(item) bool
		want    string
		next    map[string]Seek
		more    bool
	}{{
		name:    "interleaves newest first and stops at the limit",
		sources: []Source[item]{{AccountID: "A", Items: a3}, {AccountID: "B", Items: b3}},
		limit:   4, keep: all,
		want: "0:a1 1:b1 0:a2 1:b2",
		next: map[string]Seek{"A": {Skip: 2}, "B": {Skip: 2}}, more: true,
	}, {
		name:    "ties keep the sources' order, then each page's",
		sources: []Source[item]{{AccountID: "A", Items: []item{{"a1", 9, false}, {"a2", 9, false}}}, {AccountID: "B", Items: []item{{"b1", 9, false}}}},
		limit:   3, keep: all,
		want: "0:a1 0:a2 1:b1",
		next: map[string]Seek{}, more: false,
	}, {
		name:    "exhausted sources leave the cursor",
		sources: []Source[item]{{AccountID: "A", Items: a3}, {AccountID: "B", Items: b3}},
		limit:   10, keep: all,
		want: "0:a1 1:b1 0:a2 1:b2 0:a3 1:b3",
		next: map[string]Seek{}, more: false,
	}, {
		name:    "a page that runs out while its source has more stops the walk",
		sources: []Source[item]{{AccountID: "A", Items: a3[:1], Next: "pA2"}, {AccountID: "B", Items: b3}},
		limit:   10, keep: all,
		// a1 (30) is A's whole page; A's next item may be newer than b1.
		want: "0:a1",
		next: map[string]Seek{"A": {Cursor: "pA2"}, "B": {}}, more: true,
	}, {
		name:    "skip drops the items earlier pages returned",
		sources: []Source[item]{{AccountID: "A", Seek: Seek{Cursor: "p1", Skip: 2}, Items: a3}, {AccountID: "B", Seek: Seek{Skip: 1}, Items: b3}},
		limit:   2, keep: all,
		want: "1:b2 0:a3",
		next: map[string]Seek{"B": {Skip: 3 - 1}}, more: true,
	}, {
		name:    "a skip past a shrunken page reads nothing from it",
		sources: []Source[item]{{AccountID: "A", Seek: Seek{Skip: 5}, Items: a3}, {AccountID: "B", Items: b3[:1]}},
		limit:   5, keep: all,
		want: "1:b1",
		next: map[string]Seek{}, more: false,
	}, {
		name:    "filtered items are consumed, so the cursor moves past them",
		sources: []Source[item]{{AccountID: "A", Items: a3}, {AccountID: "B", Items: b3}},
		limit:   2, keep: unread,
		// a1 is walked and dropped; a2 and b1 are kept.
		want: "1:b1 0:a2",
		next: map[string]Seek{"A": {Skip: 2}, "B": {Skip: 1}}, more: true,
	}, {
		name:    "a filter that drops a whole page still pages on",
		sources: []Source[item]{{AccountID: "A", Items: []item{{"a1", 30, false}}, Next: "pA2"}},
		limit:   5, keep: unread,
		want: "",
		next: map[string]Seek{"A": {Cursor: "pA2"}}, more: true,
	}, {
		name:    "a failed source is retried from where it was",
		sources: []Source[item]{{AccountID: "A", Seek: Seek{Cursor: "p3", Skip: 1}, Failed: true}, {AccountID: "B", Items: b3}},
		limit:   2, keep: all,
		want: "1:b1 1:b2",
		next: map[string]Seek{"A": {Cursor: "p3", Skip: 1}, "B": {Skip: 2}}, more: true,
	}, {
		name:    "a failed source alone does not page on forever",
		sources: []Source[item]{{AccountID: "A", Failed: true}, {AccountID: "B", Items: b3}},
		limit:   5, keep: all,
		// B answered everything; the page is not empty, so A is retried.
		want: "1:b1 1:b2 1:b3",
		next: map[string]Seek{"A": {}}, more: true,
	}, {
		name:    "an empty page whose only sources left failed has no more",
		sources: []Source[item]{{AccountID: "A", Failed: true}, {AccountID: "B"}},
		limit:   5, keep: all,
		want: "",
		next: map[string]Seek{"A": {}}, more: false,
	}, {
		name:    "limit exactly at a page's end moves to the platform's next page",
		sources: []Source[item]{{AccountID: "A", Items: a3[:2], Next: "pA2"}},
		limit:   2, keep: all,
		want: "0:a1 0:a2",
		next: map[string]Seek{"A": {Cursor: "pA2"}}, more: true,
	}, {
		name:    "limit one short of a page's end keeps its place in it",
		sources: []Source[item]{{AccountID: "A", Seek: Seek{Cursor: "p1"}, Items: a3, Next: "pA2"}},
		limit:   2, keep: all,
		want: "0:a1 0:a2",
		next: map[string]Seek{"A": {Cursor: "p1", Skip: 2}}, more: true,
	}, {
		name:    "no sources",
		sources: nil, limit: 5, keep: all,
		want: "", next: map[string]Seek{}, more: false,
	}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := Merge(c.sources, c.limit, at, func(it item, _ int) bool { return c.keep(it) })
			if g := names(got.Items); g != c.want {
				t.Errorf("items = %q, want %q", g, c.want)
			}
			if !reflect.DeepEqual(got.Next.Accounts, c.next) {
				t.Errorf("next = %+v, want %+v", got.Next.Accounts, c.next)
			}
			if got.HasMore != c.more {
				t.Errorf("has more = %v, want %v", got.HasMore, c.more)
			}
			if got.Next.V != cursorVersion {
				t.Errorf("next cursor version %d", got.Next.V)
			}
		})
	}
}

// TestMergePagesThrough pages with Merge's own cursors, as a client would,
// over sources whose platform pages are shorter than asked, with a filter:
// every kept item appears exactly once, in global newest-first order.
func TestMergePagesThrough(t *testing.T) {
	t.Parallel()
	const pageSize = 2 // the platform's pages; shorter than the limit
	data := map[string][]item{}
	var want []string
	for i := 40; i > 0; i-- {
		acct := []string{"A", "B", "C"}[i%3]
		it := item{name: fmt.Sprintf("%s%d", acct, i), min: i, unread: i%4 != 0}
		data[acct] = append(data[acct], it)
		if it.unread {
			want = append(want, it.name)
		}
	}
	fetch := func(acct string, s Seek, limit int) Source[item] {
		start := 0
		if s.Cursor != "" {
			fmt.Sscan(s.Cursor, &start)
		}
		end := min(start+min(limit, pageSize), len(data[acct]))
		src := Source[item]{AccountID: acct, Seek: s, Items: data[acct][start:end]}
		if end < len(data[acct]) {
			src.Next = fmt.Sprint(end)
		}
		return src
	}
	var cur Cursor
	var got []string
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("paging does not terminate")
		}
		// The cursor travels as bytes, as it does sealed.
		if pages > 0 {
			var err error
			if cur, err = ParseCursor(cur.Encode()); err != nil {
				t.Fatal(err)
			}
		}
		var srcs []Source[item]
		for _, acct := range []string{"A", "B", "C"} {
			if s, ok := Resume(cur, acct); ok {
				srcs = append(srcs, fetch(acct, s, 3+s.Skip))
			}
		}
		page := Merge(srcs, 3, at, func(it item, _ int) bool { return unread(it) })
		for _, p := range page.Items {
			got = append(got, p.Item.name)
		}
		if !page.HasMore {
			break
		}
		cur = page.Next
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("paged\n %v\nwant\n %v", got, want)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	t.Parallel()
	c := Cursor{V: cursorVersion, Accounts: map[string]Seek{"acct_1": {Cursor: "QVFIUj", Skip: 3}, "acct_2": {Done: true}}}
	back, err := ParseCursor(c.Encode())
	if err != nil || !reflect.DeepEqual(back, c) {
		t.Fatalf("round trip = %+v, %v", back, err)
	}
	if _, ok := Resume(back, "acct_2"); ok {
		t.Error("a done account resumes")
	}
	if _, ok := Resume(back, "acct_3"); ok {
		t.Error("an account outside the listing resumes")
	}
	if s, ok := Resume(Cursor{}, "acct_3"); !ok || s != (Seek{}) {
		t.Error("a first page does not start every account from the top")
	}
	for _, bad := range []string{``, `{}`, `{"v":2,"a":{}}`, `[1]`, `{"v":"1"}`} {
		if _, err := ParseCursor([]byte(bad)); !apierr.HasCode(err, "validation.invalid_cursor") {
			t.Errorf("ParseCursor(%s) = %v", bad, err)
		}
	}
}
