package inbox

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// pagedPlatform serves a fixed, newest-first list of conversations per
// account in pages of at most pageSize, like a platform whose pages are
// shorter than asked (X's are).
type pagedPlatform struct {
	convs    map[string][]platform.Conversation // by native id
	pageSize int
}

func (p pagedPlatform) ListConversations(_ context.Context, a platform.Account, cursor string, limit int) (platform.Page[platform.Conversation], error) {
	all := p.convs[a.NativeID]
	start, _ := strconv.Atoi(cursor)
	end := min(start+min(limit, p.pageSize), len(all))
	page := platform.Page[platform.Conversation]{Items: all[start:end]}
	if end < len(all) {
		page.NextCursor = strconv.Itoa(end)
	}
	return page, nil
}
func (pagedPlatform) GetConversation(context.Context, platform.Account, string) (platform.Conversation, error) {
	return platform.Conversation{}, nil
}
func (pagedPlatform) ListMessages(context.Context, platform.Account, string, string, int) (platform.Page[platform.Message], error) {
	return platform.Page[platform.Message]{}, nil
}
func (pagedPlatform) Send(context.Context, platform.Account, platform.Conversation, platform.Outbound) (platform.Sent, error) {
	return platform.Sent{}, nil
}
func (pagedPlatform) MarkRead(context.Context, platform.Account, platform.Conversation) error {
	return nil
}

// TestFanOutMergeAcrossShortPages pages through two accounts whose
// conversations interleave in time, one serving short pages: every
// conversation appears once, in global newest-first order, and a filter
// that drops most of them still terminates.
func TestFanOutMergeAcrossShortPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		plat := pagedPlatform{convs: map[string][]platform.Conversation{}, pageSize: 2}
		e := setup(t, db, platform.Registry{platform.X: plat})
		for i := range 12 {
			native := []string{"a", "b"}[i%3%2] // a, b, a, a, b, a, …: uneven interleaving
			plat.convs[native] = append(plat.convs[native], platform.Conversation{ThreadID: fmt.Sprintf("t%02d", i),
				LastMessageAt: e.now.Add(-time.Duration(i) * time.Minute), UnreadCount: i % 4 / 3})
		}
		svc, c := e.inbox, e.caller()
		for _, n := range []string{"a", "b"} {
			e.account(t, platform.X, n)
		}
		walk := func(f ConversationFilter) []string {
			var ids []string
			var last time.Time
			for pages := 0; pages < 50; pages++ {
				l, err := svc.ListConversations(ctx, c, f)
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range l.Data {
					if !last.IsZero() && v.LastMessageAt.After(last) {
						t.Fatalf("%s breaks newest-first order across pages", v.PlatformID)
					}
					last = *v.LastMessageAt
					ids = append(ids, v.PlatformID)
				}
				if !l.HasMore {
					return ids
				}
				f.Cursor = l.NextCursor
			}
			t.Fatal("paging did not terminate")
			return nil
		}
		all := walk(ConversationFilter{PageRequest: domain.PageRequest{Limit: 3}})
		if len(all) != 12 {
			t.Fatalf("listed %d of 12: %v", len(all), all)
		}
		for i, id := range all {
			if id != fmt.Sprintf("t%02d", i) {
				t.Fatalf("position %d is %s: %v", i, id, all)
			}
		}
		unread := true
		got := walk(ConversationFilter{PageRequest: domain.PageRequest{Limit: 3}, Unread: &unread})
		if fmt.Sprint(got) != "[t03 t07 t11]" {
			t.Fatalf("unread conversations: %v", got)
		}
	})
}
