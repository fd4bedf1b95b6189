package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestArchive: a conversation archived in Parley reads as archived, is
// listed by ArchivedThreads for its organisation only, is unarchived by the
// next customer message noted (through the single and the batched inbound
// note, which ingestion uses), even one dated before the archiving (a late
// webhook: the user never saw it), and by hand; a business message does
// not unarchive. Another organisation can neither archive nor see the
// thread.
func TestArchive(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		a, b := seed(t, db, "A"), seed(t, db, "B")
		archivedAt := func(thread string) time.Time {
			t.Helper()
			m, err := db.ConversationMeta(ctx, a.org.ID, a.acct.ID, thread)
			if err != nil {
				t.Fatal(err)
			}
			return m.ArchivedAt
		}
		inbound := func(thread string, at time.Time) store.ConversationMeta {
			return store.ConversationMeta{OrgID: a.org.ID, AccountID: a.acct.ID, ThreadID: thread, ParticipantID: "p-" + thread, LastInboundAt: at, UnreadCount: 1}
		}
		arch := t0.Add(time.Hour).Truncate(time.Microsecond) // as stored
		for _, thread := range []string{"t-single", "t-batch", "t-late", "t-same", "t-new"} {
			if thread != "t-new" {
				if err := db.NoteInbound(ctx, inbound(thread, t0), 1); err != nil {
					t.Fatal(err)
				}
			}
			// t-new has no row yet: archiving creates it.
			if err := db.SetArchived(ctx, a.org.ID, a.acct.ID, thread, arch); err != nil {
				t.Fatal(err)
			}
			if got := archivedAt(thread); !got.Equal(arch) {
				t.Fatalf("%s archived at %v, want %v", thread, got, arch)
			}
		}

		// Tenancy: B cannot archive or unarchive A's thread, nor list it.
		if err := db.SetArchived(ctx, b.org.ID, a.acct.ID, "t-single", time.Time{}); err != nil {
			t.Fatal(err)
		}
		if got := archivedAt("t-single"); !got.Equal(arch) {
			t.Fatalf("another organisation unarchived the thread: %v", got)
		}
		if err := db.SetArchived(ctx, b.org.ID, a.acct.ID, "t-foreign", arch); err != nil {
			t.Fatal(err)
		}
		if got := archivedAt("t-foreign"); !got.IsZero() {
			t.Fatalf("another organisation archived a thread of A's account: %v", got)
		}
		ids := []string{"t-single", "t-batch", "t-late", "t-same", "t-new", "t-unknown", "t-foreign"}
		if got, err := db.ArchivedThreads(ctx, b.org.ID, ids); err != nil || len(got) != 0 {
			t.Fatalf("B sees A's archived threads: %v %v", got, err)
		}
		got, err := db.ArchivedThreads(ctx, a.org.ID, ids)
		if err != nil || len(got) != 5 || !got[[2]string{a.acct.ID, "t-batch"}].Equal(arch) {
			t.Fatalf("ArchivedThreads = %v %v, want the 5 archived threads", got, err)
		}
		if none, err := db.ArchivedThreads(ctx, a.org.ID, nil); err != nil || len(none) != 0 {
			t.Fatalf("ArchivedThreads(nil) = %v %v", none, err)
		}

		// Customer messages unarchive; the business's own send, a receipt
		// and a note without a message time do not.
		if err := db.NoteInbound(ctx, inbound("t-single", arch.Add(time.Minute)), 1); err != nil {
			t.Fatal(err)
		}
		if err := db.NoteInbounds(ctx, []store.ConversationMeta{inbound("t-batch", arch.Add(time.Second)), inbound("t-late", arch.Add(-time.Minute)),
			inbound("t-same", time.Time{})}); err != nil {
			t.Fatal(err)
		}
		if err := db.NoteOutbound(ctx, a.org.ID, a.acct.ID, "t-new", arch.Add(time.Minute), false); err != nil {
			t.Fatal(err)
		}
		if err := db.NoteReceipt(ctx, a.org.ID, a.acct.ID, "t-new", true, arch.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		for thread, want := range map[string]time.Time{"t-single": {}, "t-batch": {}, "t-late": {}, "t-same": arch, "t-new": arch} {
			if got := archivedAt(thread); !got.Equal(want) {
				t.Errorf("%s archived at %v after the inbound notes, want %v", thread, got, want)
			}
		}
		// Unarchived by hand.
		if err := db.SetArchived(ctx, a.org.ID, a.acct.ID, "t-new", time.Time{}); err != nil {
			t.Fatal(err)
		}
		if got := archivedAt("t-new"); !got.IsZero() {
			t.Fatalf("t-new still archived at %v", got)
		}
		if m, _ := db.ConversationMeta(ctx, a.org.ID, a.acct.ID, "t-late"); m.UnreadCount != 2 || m.ParticipantID != "p-t-late" || !m.LastInboundAt.Equal(arch.Add(-time.Minute)) {
			t.Fatalf("archiving disturbed the conversation's other metadata: %+v", m)
		}
	})
}

// TestJournalStatusAt: a WhatsApp status keeps its receipt's time, which
// moves only with the status (a late, lower status changes neither).
func TestJournalStatusAt(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		a := seed(t, db, "A")
		entry := store.JournalEntry{ID: "jm_1", AccountID: a.acct.ID, WaID: "15550001", WamID: "wamid.1", Direction: "outgoing",
			Sealed: []byte{1}, Status: "sent", CreatedAt: t0, ExpiresAt: t0.Add(24 * time.Hour)}
		if _, err := db.AppendJournal(ctx, entry); err != nil {
			t.Fatal(err)
		}
		status := func(s string, at time.Time) {
			t.Helper()
			p := entry
			p.Status, p.StatusAt, p.Sealed = s, at, nil
			if err := db.SetJournalStatus(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		read := func() store.JournalEntry {
			t.Helper()
			es, err := db.JournalMessages(ctx, a.acct.ID, "15550001", 0, 10)
			if err != nil || len(es) != 1 {
				t.Fatal(es, err)
			}
			return es[0]
		}
		if e := read(); !e.StatusAt.IsZero() {
			t.Fatalf("a message no status moved has status_at %v", e.StatusAt)
		}
		readAt := t0.Add(2 * time.Minute).Truncate(time.Microsecond) // as stored
		status("read", readAt)
		status("delivered", t0.Add(3*time.Minute)) // late and lower: ignored
		if e := read(); e.Status != "read" || !e.StatusAt.Equal(readAt) {
			t.Fatalf("status %q at %v, want read at %v", e.Status, e.StatusAt, readAt)
		}
	})
}
