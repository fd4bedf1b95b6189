package media_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/media"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/sqlstore"
	"github.com/parleyhq/parley/internal/store/storetest"
)

var t0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// clock is a test clock the test moves forward.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }
func png(n int) []byte {
	return append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), make([]byte, n)...)
}
func org(t *testing.T, db *sqlstore.DB) domain.Caller {
	t.Helper()
	o := store.Organization{ID: store.NewID("org"), Name: "O", CreatedAt: t0}
	if err := db.CreateOrganization(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	return domain.Caller{OrgID: o.ID}
}

type fixture struct {
	m     *media.Media
	clk   *clock
	db    *sqlstore.DB
	a, b  domain.Caller
	mux   *http.ServeMux
	ring  *secrets.KeyRing
	entry string
}

func setup(t *testing.T, db *sqlstore.DB) fixture {
	t.Helper()
	entry, err := secrets.GenerateKey(t0)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := secrets.ParseKeyRing(entry)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: t0}
	m := media.New(domain.Deps{Store: db, Keys: ring, Now: clk.Now, Log: slog.New(slog.DiscardHandler)}, media.Config{BaseURL: "https://parley.example/", TTL: 24 * time.Hour})
	return fixture{m: m, clk: clk, db: db, a: org(t, db), b: org(t, db), mux: serveMux(m), ring: ring, entry: entry}
}

// serveMux serves m's signed URLs as the API does, any refusal a 404.
func serveMux(m *media.Media) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+media.URLPath+"{id}", func(w http.ResponseWriter, r *http.Request) {
		if err := m.Serve(w, r); err != nil {
			http.Error(w, "not found", http.StatusNotFound)
		}
	})
	return mux
}

func (f fixture) get(t *testing.T, u string) *httptest.ResponseRecorder {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, httptest.NewRequest("GET", p.RequestURI(), nil))
	return w
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if !apierr.HasCode(err, code) {
		t.Fatalf("err = %v, want %s", err, code)
	}
}

// A signed URL serves its one file until it expires; a forged, altered or
// expired one, and one for a deleted file, answer 404. The file is sealed
// at rest and never readable through another organisation.
func TestSignedURL(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := setup(t, db)
		ctx := context.Background()
		data := png(100)
		up, err := f.m.Create(ctx, f.a, media.Upload{Filename: "r.png", Declared: "image/png", Data: data})
		if err != nil {
			t.Fatal(err)
		}
		row, err := db.GetMedia(ctx, f.a.OrgID, up.ID, t0)
		if err != nil || strings.Contains(string(row.Content), "PNG") {
			t.Fatalf("content not sealed at rest: %v", err)
		}
		at, err := f.m.Attachment(ctx, f.a, platform.Messenger, "attachments[0]", apitype.Attachment{Type: "image", MediaID: up.ID})
		if err != nil || string(at.File.Data) != string(data) || !strings.HasPrefix(at.URL, "https://parley.example/media/"+up.ID+"?exp=") {
			t.Fatalf("attachment %+v, %v", at, err)
		}
		if w := f.get(t, at.URL); w.Code != 200 || w.Body.String() != string(data) || w.Header().Get("Content-Type") != "image/png" {
			t.Fatalf("signed URL: %d %v", w.Code, w.Header())
		}
		// Signed by another key ring: forged.
		other := media.New(domain.Deps{Store: db, Keys: mustRing(t), Now: f.clk.Now}, media.Config{BaseURL: "https://parley.example"})
		if w := f.get(t, other.SignedURL(up.ID, t0.Add(time.Hour))); w.Code != 404 {
			t.Fatalf("URL signed by another ring: %d", w.Code)
		}
		// A later expiry on a valid signature is refused.
		if w := f.get(t, strings.Replace(at.URL, "exp=", "exp=9", 1)); w.Code != 404 {
			t.Fatalf("extended expiry: %d", w.Code)
		}
		// After a key rotation the URL still works (the old key stays in
		// the ring), and new URLs are signed by the new key.
		next, _ := secrets.GenerateKey(t0.Add(time.Second))
		rotated, err := secrets.ParseKeyRing(f.entry + "," + next)
		if err != nil {
			t.Fatal(err)
		}
		r2 := media.New(domain.Deps{Store: db, Keys: rotated, Now: f.clk.Now}, media.Config{BaseURL: "https://parley.example"})
		rf := f
		rf.mux = serveMux(r2)
		if w := rf.get(t, at.URL); w.Code != 200 {
			t.Fatalf("URL signed before rotation: %d", w.Code)
		}
		// Expired: 404 though the file is still there.
		f.clk.Add(media.DefaultURLTTL)
		if w := f.get(t, at.URL); w.Code != 404 {
			t.Fatalf("expired URL: %d", w.Code)
		}
		// Another organisation cannot use the id.
		_, err = f.m.Attachment(ctx, f.b, platform.Messenger, "attachments[0]", apitype.Attachment{MediaID: up.ID})
		wantCode(t, err, "resource.not_found")
	})
}

// Uploads are single-use and short-lived: a used one is refused for a
// second send and deleted once its URL has expired; an unused one is
// deleted when its TTL passes. Nothing else is deleted.
func TestExpiryAndUse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := setup(t, db)
		ctx := context.Background()
		used, _ := f.m.Create(ctx, f.a, media.Upload{Filename: "a.png", Data: png(10)})
		idle, _ := f.m.Create(ctx, f.a, media.Upload{Filename: "b.png", Data: png(10)})
		if _, err := f.m.Attachment(ctx, f.a, platform.WhatsApp, "attachment", apitype.Attachment{MediaID: used.ID}); err != nil {
			t.Fatal(err)
		}
		if err := f.m.Use(ctx, f.a, []string{used.ID}); err != nil {
			t.Fatal(err)
		}
		_, err := f.m.Attachment(ctx, f.a, platform.WhatsApp, "attachment", apitype.Attachment{MediaID: used.ID})
		wantCode(t, err, "resource.not_found")
		// Within the URL's life the used file is still there for the
		// platform to fetch.
		if err := f.m.Prune(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := f.m.Get(ctx, f.a, used.ID); err != nil {
			t.Fatalf("used file deleted before its URL expired: %v", err)
		}
		f.clk.Add(media.DefaultURLTTL + time.Second)
		if err := f.m.Prune(ctx); err != nil {
			t.Fatal(err)
		}
		_, err = f.m.Get(ctx, f.a, used.ID)
		wantCode(t, err, "resource.not_found")
		if _, err := f.m.Get(ctx, f.a, idle.ID); err != nil {
			t.Fatalf("unused file deleted early: %v", err)
		}
		kept, _ := f.m.Create(ctx, f.b, media.Upload{Filename: "c.png", Data: png(10)})
		f.clk.Add(23 * time.Hour) // past idle's 24 h, within kept's
		_, err = f.m.Get(ctx, f.a, idle.ID)
		wantCode(t, err, "resource.not_found") // expired: no longer served, even before the job runs
		if err := f.m.Prune(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := f.m.Get(ctx, f.b, kept.ID); err != nil {
			t.Fatalf("the job deleted an unexpired upload: %v", err)
		}
		if _, err := db.MediaByID(ctx, idle.ID, t0); err == nil {
			t.Fatal("the expiry job left an expired upload in the database")
		}
	})
}

func mustRing(t *testing.T) *secrets.KeyRing {
	t.Helper()
	e, _ := secrets.GenerateKey(t0)
	r, err := secrets.ParseKeyRing(e)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Each platform's documented limits refuse before any call, naming the
// platform and the limit.
func TestCheck(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		p         platform.Name
		typ, ct   string
		size      int64
		wantCode  string
		wantLimit int64
	}{
		{platform.WhatsApp, "image", "image/png", 5 * media.MB, "", 0},
		{platform.WhatsApp, "image", "image/png", 5*media.MB + 1, "validation.media_too_large", 5 * media.MB},
		{platform.WhatsApp, "image", "image/gif", 10, "validation.media_type_unsupported", 0},
		{platform.WhatsApp, "video", "video/mp4", 16*media.MB + 1, "validation.media_too_large", 16 * media.MB},
		{platform.WhatsApp, "file", "application/pdf", 100 * media.MB, "", 0},
		{platform.Messenger, "image", "image/gif", 8 * media.MB, "", 0},
		{platform.Messenger, "image", "image/png", 8*media.MB + 1, "validation.media_too_large", 8 * media.MB},
		{platform.Messenger, "file", "application/zip", 25*media.MB + 1, "validation.media_too_large", 25 * media.MB},
		{platform.Instagram, "file", "application/zip", 10, "validation.media_type_unsupported", 0},
		{platform.Instagram, "video", "video/mp4", 25 * media.MB, "", 0},
		{platform.X, "image", "image/png", 10, "validation.unsupported_on_platform", 0},
		{platform.LinkedIn, "image", "image/png", 10, "validation.unsupported_on_platform", 0},
	} {
		err := media.Check(c.p, "attachments[0]", c.typ, c.ct, c.size)
		if c.wantCode == "" {
			if err != nil {
				t.Errorf("%s %s %s %d: %v", c.p, c.typ, c.ct, c.size, err)
			}
			continue
		}
		e, ok := apierr.As(err)
		if !ok || e.Code != c.wantCode || e.Status != 422 || e.Meta["platform"] != string(c.p) {
			t.Errorf("%s %s %s %d: %v, want %s", c.p, c.typ, c.ct, c.size, err, c.wantCode)
			continue
		}
		if c.wantLimit > 0 && e.Meta["max_bytes"] != c.wantLimit {
			t.Errorf("%s %s: max_bytes %v, want %d", c.p, c.typ, e.Meta["max_bytes"], c.wantLimit)
		}
	}
}
