package api_test

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/api"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestEveryListPagesAndRefusesBadPaging walks the route table itself, so a
// new list route is covered the day it is added. Every list documents limit
// and cursor, honours limit with the list envelope, pages with its cursor,
// and answers 400 to a limit outside its range (naming the range) and to
// any cursor it did not issue: garbage, another list's cursor, or another
// conversation's.
func TestEveryListPagesAndRefusesBadPaging(t *testing.T) {
	t.Parallel()
	storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) {
		l := newLiveEnv(t, b)
		_, a, err := api.New(api.Config{Service: l.srv.Service})
		if err != nil {
			t.Fatal(err)
		}
		// At least two items in every list that can have them here.
		expect(t, l.do("POST", "/v1/brands", l.key, map[string]any{"name": "Second brand"}), 201, "")
		expect(t, l.do("POST", "/v1/api-keys", l.key, map[string]any{"name": "second"}), 201, "")
		var hook string
		for _, u := range []string{"https://hooks.example.com/a", "https://hooks.example.com/b"} {
			r := l.do("POST", "/v1/webhooks", l.key, map[string]any{"url": u})
			expect(t, r, 201, "")
			hook = r.data(t)["id"].(string)
		}
		event := l.do("POST", "/v1/webhooks/"+hook+"/test", l.key, nil).data(t)["id"].(string)
		expect(t, l.do("POST", "/v1/webhooks/"+hook+"/test", l.key, nil), 202, "")
		expect(t, l.do("POST", "/v1/inbox/conversations/"+l.conv("whatsapp/open")+"/messages", l.key, map[string]any{"text": "On its way"}), 201, "")
		expect(t, l.do("POST", "/v1/inbox/conversations/"+l.conv("whatsapp/closed")+"/messages", l.key,
			map[string]any{"template": map[string]any{"name": "spring_sale", "language": "en_US"}}), 201, "")
		wa := l.seeded.Accounts[platform.WhatsApp]
		concrete := map[string]string{
			"/v1/accounts/{id}/usage":               "/v1/accounts/" + wa + "/usage",
			"/v1/accounts/{id}/templates":           "/v1/accounts/" + wa + "/templates",
			"/v1/webhooks/{id}/attempts":            "/v1/webhooks/" + hook + "/attempts",
			"/v1/events/{id}/attempts":              "/v1/events/" + event + "/attempts",
			"/v1/inbox/conversations/{id}/messages": "/v1/inbox/conversations/" + l.conv("instagram/open") + "/messages",
		}
		type list struct {
			rt     api.Route
			path   string
			max    int
			cursor string // a next_cursor this list issued
		}
		var lists []*list
		for _, rt := range a.Routes() {
			if !rt.List {
				continue
			}
			path := rt.Path
			if strings.Contains(path, "{") {
				if path = concrete[rt.Path]; path == "" {
					t.Fatalf("%s %s: add a concrete path for this new list route to the test", rt.Method, rt.Path)
				}
			}
			li := &list{rt: rt, path: path}
			var hasCursor bool
			for _, q := range rt.Query {
				switch q.Name {
				case "limit":
					li.max = q.Max
				case "cursor":
					hasCursor = true
				}
			}
			if li.max < 1 || !hasCursor {
				t.Errorf("%s %s: a list must document a bounded limit and a cursor", rt.Method, rt.Path)
				continue
			}
			lists = append(lists, li)
		}

		paged := 0
		for _, li := range lists {
			t.Run(li.rt.OperationID, func(t *testing.T) {
				get := func(query string) response {
					sep := "?"
					if strings.Contains(li.path, "?") {
						sep = "&"
					}
					return l.do("GET", li.path+sep+query, l.key, nil)
				}
				// limit is honoured and reported; the cursor leads on.
				first := get("limit=1")
				expect(t, first, 200, "")
				p := first.body["pagination"].(map[string]any)
				data := first.body["data"].([]any)
				if p["limit"] != 1.0 || len(data) > 1 {
					t.Fatalf("limit=1: pagination %v with %d items", p, len(data))
				}
				if p["has_more"] == true {
					li.cursor = p["next_cursor"].(string)
					second := get("limit=1&cursor=" + url.QueryEscape(li.cursor))
					expect(t, second, 200, "")
					next := second.body["data"].([]any)
					if len(next) != 1 || fmt.Sprint(next[0]) == fmt.Sprint(data[0]) {
						t.Fatalf("the second page repeats or is empty: %v then %v", data, next)
					}
					paged++
				}
				// A limit outside 1..max names the range.
				for _, bad := range []string{"0", "-1", strconv.Itoa(li.max + 1), "ten", "2.5"} {
					r := get("limit=" + bad)
					expect(t, r, 400, "validation.invalid_limit")
					meta := r.body["error"].(map[string]any)["meta"].(map[string]any)
					msg := r.body["error"].(map[string]any)["message"].(string)
					if meta["field"] != "limit" || meta["min"] != 1.0 || meta["max"] != float64(li.max) || !strings.Contains(msg, "1 to "+strconv.Itoa(li.max)) {
						t.Fatalf("limit=%s: %s", bad, r.raw)
					}
				}
				// Garbage cursors are refused, never ignored.
				for _, bad := range []string{"zzz", "!!", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
					"eyJ2IjoxLCJhIjp7fX0", "brand_x", strings.Repeat("a", 9000)} {
					r := get("cursor=" + url.QueryEscape(bad))
					expect(t, r, 400, "validation.invalid_cursor")
					if r.body["error"].(map[string]any)["meta"].(map[string]any)["field"] != "cursor" {
						t.Fatalf("cursor=%.20s: %s", bad, r.raw)
					}
				}
			})
		}
		if paged < 8 {
			t.Errorf("only %d lists had a second page to follow", paged)
		}

		// A cursor is refused by every list but the one that issued it.
		for _, li := range lists {
			for _, other := range lists {
				if other == li || other.cursor == "" || other.rt.Data == li.rt.Data {
					continue
				}
				sep := "?"
				if strings.Contains(li.path, "?") {
					sep = "&"
				}
				r := l.do("GET", li.path+sep+"cursor="+url.QueryEscape(other.cursor), l.key, nil)
				if r.status != 400 || r.errCode() != "validation.invalid_cursor" {
					t.Errorf("%s accepted %s's cursor: %d %s", li.rt.OperationID, other.rt.OperationID, r.status, r.raw)
				}
			}
		}
		// A history cursor belongs to its conversation.
		var ig string
		for _, li := range lists {
			if li.rt.OperationID == "listMessages" {
				ig = li.cursor
			}
		}
		if ig == "" {
			t.Fatal("instagram/open has a single page of history")
		}
		r := l.do("GET", "/v1/inbox/conversations/"+l.conv("messenger/open")+"/messages?cursor="+url.QueryEscape(ig), l.key, nil)
		expect(t, r, 400, "validation.invalid_cursor")
		// Another organisation cannot use this organisation's inbox cursor.
		other := l.org("Other")
		c := l.do("GET", "/v1/inbox/conversations?limit=1", l.key, nil).body["pagination"].(map[string]any)["next_cursor"].(string)
		expect(t, l.do("GET", "/v1/inbox/conversations?cursor="+url.QueryEscape(c), other, nil), 400, "validation.invalid_cursor")
	})
}
