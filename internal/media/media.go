// Package media keeps the outbound files uploaded with POST /v1/media for a
// short while, sealed at rest, and hands them to sends: as bytes for
// platforms that take uploads, as a signed, expiring URL for platforms
// that fetch.
//
// Customer media is never stored: inbound attachments stay platform URLs.
// An uploaded file is deleted when its TTL passes, or once the send that
// used it is past the signed URL's lifetime.
package media

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/secrets"
	"github.com/parleyhq/parley/internal/store"
)

// Defaults of Config.
const (
	DefaultMaxBytes = 100 * MB
	DefaultTTL      = 24 * time.Hour
	// DefaultURLTTL is how long a signed URL handed to a platform stays
	// valid: Meta fetches during the send, but may retry a little later.
	DefaultURLTTL = time.Hour
)

// Config builds Media.
type Config struct {
	// BaseURL is where platforms reach this Parley (PARLEY_PUBLIC_URL, or
	// the listen address); signed URLs are under it.
	BaseURL string
	// MaxBytes bounds every upload (PARLEY_MEDIA_MAX_BYTES); 0 means
	// DefaultMaxBytes.
	MaxBytes int64
	// TTL is how long an unused upload is kept (PARLEY_MEDIA_TTL); 0
	// means DefaultTTL.
	TTL time.Duration
	// URLTTL is how long a signed URL is valid; 0 means DefaultURLTTL.
	URLTTL time.Duration
}

// Media is the capability. It is safe for concurrent use.
type Media struct {
	store store.Store
	keys  *secrets.KeyRing
	now   func() time.Time
	log   *slog.Logger
	cfg   Config
}

// New returns Media over the shared dependencies.
func New(d domain.Deps, cfg Config) *Media {
	d = d.WithDefaults()
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.URLTTL <= 0 {
		cfg.URLTTL = DefaultURLTTL
	}
	return &Media{store: d.Store, keys: d.Keys, now: d.Now, log: d.Log, cfg: cfg}
}

// MaxBytes is the largest file an upload may carry.
func (m *Media) MaxBytes() int64 { return m.cfg.MaxBytes }

// idPattern is the shape of every media id; anything else is not looked up.
var idPattern = regexp.MustCompile(`^med_[0-9a-f]{32}$`)

func notFound(field, id string) *apierr.Error {
	e := apierr.NotFound("media").With("media_id", truncate(id))
	if field != "" {
		e = e.With("field", field)
	}
	return e
}

// Create stores an upload for the caller's organisation: its type checked
// against its bytes (and against the platform's limits when the upload
// names one), its content sealed with the media id as associated data.
func (m *Media) Create(ctx context.Context, c domain.Caller, u Upload) (apitype.Media, error) {
	ct, err := contentType(u.Declared, u.Data)
	if err != nil {
		return apitype.Media{}, err
	}
	typ := typeOf(ct)
	switch u.Type {
	case "", typ:
	case "image", "video", "audio", "file":
		if u.Type != "file" {
			return apitype.Media{}, apierr.Invalid("type", "a %s file cannot be sent as %s", ct, u.Type).With("content_type", ct)
		}
		typ = "file" // anything may travel as a document
	default:
		return apitype.Media{}, apierr.Invalid("type", "type must be image, video, audio or file")
	}
	if u.Platform != "" {
		p := platform.Name(u.Platform)
		if u.Platform == "facebook" {
			p = platform.Messenger
		}
		if !platform.Known(p) {
			return apitype.Media{}, apierr.Invalid("platform", "unknown platform %q", truncate(u.Platform))
		}
		if err := Check(p, "file", typ, ct, int64(len(u.Data))); err != nil {
			return apitype.Media{}, err
		}
	}
	now := m.now().UTC()
	row := store.Media{ID: store.NewID("med"), OrgID: c.OrgID, Type: typ, ContentType: ct, Filename: u.Filename,
		Size: int64(len(u.Data)), CreatedAt: now, ExpiresAt: now.Add(m.cfg.TTL)}
	if row.Filename == "" {
		row.Filename = "file"
	}
	row.Content, err = m.keys.Seal(u.Data, []byte(row.ID))
	if err != nil {
		return apitype.Media{}, err
	}
	if err := m.store.CreateMedia(ctx, row); err != nil {
		return apitype.Media{}, err
	}
	return view(row), nil
}

// Get reads an upload's description (never its bytes).
func (m *Media) Get(ctx context.Context, c domain.Caller, id string) (apitype.Media, error) {
	row, err := m.load(ctx, c.OrgID, "", id)
	if err != nil {
		return apitype.Media{}, err
	}
	return view(row), nil
}

// Delete deletes an upload at once.
func (m *Media) Delete(ctx context.Context, c domain.Caller, id string) error {
	if !idPattern.MatchString(id) {
		return notFound("", id)
	}
	if err := m.store.DeleteMedia(ctx, c.OrgID, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return notFound("", id)
		}
		return err
	}
	return nil
}

// load finds a live upload of the organisation, or answers 404 whether it
// is unknown, expired, malformed or another organisation's.
func (m *Media) load(ctx context.Context, orgID, field, id string) (store.Media, error) {
	if !idPattern.MatchString(id) {
		return store.Media{}, notFound(field, id)
	}
	row, err := m.store.GetMedia(ctx, orgID, id, m.now())
	if errors.Is(err, store.ErrNotFound) {
		return row, notFound(field, id)
	}
	return row, err
}

// Attachment resolves an attachment sent by media id for a send on a
// platform: the file must be the organisation's, live and unused, of a
// type and size the platform takes. The answer carries both the bytes
// (for platforms that take uploads) and a signed URL (for platforms that
// fetch). It checks without consuming: Use marks it used once sent.
func (m *Media) Attachment(ctx context.Context, c domain.Caller, p platform.Name, field string, at apitype.Attachment) (platform.OutAttachment, error) {
	row, err := m.load(ctx, c.OrgID, field+".media_id", at.MediaID)
	if err != nil {
		return platform.OutAttachment{}, err
	}
	if row.UsedAt != nil {
		// Single use: a second send must upload again, so a file never
		// outlives the send it was uploaded for by more than the URL's life.
		return platform.OutAttachment{}, notFound(field+".media_id", at.MediaID).With("hint", "a media id is used by one send; upload the file again")
	}
	typ := row.Type
	if at.Type != "" && at.Type != typ {
		if at.Type != "file" {
			return platform.OutAttachment{}, apierr.Invalid(field+".type", "media %s is a %s file, not %s", row.ID, row.Type, at.Type)
		}
		typ = "file"
	}
	if err := Check(p, field, typ, row.ContentType, row.Size); err != nil {
		return platform.OutAttachment{}, err
	}
	data, err := m.keys.Open(row.Content, []byte(row.ID))
	if err != nil {
		return platform.OutAttachment{}, err
	}
	return platform.OutAttachment{Type: typ, URL: m.SignedURL(row.ID, m.now().Add(m.cfg.URLTTL)),
		File: &platform.MediaFile{ID: row.ID, Filename: row.Filename, ContentType: row.ContentType, Data: data}}, nil
}

// Use marks uploads used by a send that went out; they are deleted once
// their signed URLs have expired.
func (m *Media) Use(ctx context.Context, c domain.Caller, ids []string) error {
	return m.store.UseMedia(ctx, c.OrgID, ids, m.now())
}

// Prune deletes uploads past their TTL and uploads used longer ago than a
// signed URL lives (a periodic job).
func (m *Media) Prune(ctx context.Context) error {
	now := m.now()
	n, err := m.store.PruneMedia(ctx, now, now.Add(-m.cfg.URLTTL))
	if n > 0 {
		m.log.InfoContext(ctx, "media deleted", "count", n)
	}
	return err
}

func view(r store.Media) apitype.Media {
	return apitype.Media{ID: r.ID, Type: r.Type, ContentType: r.ContentType, Size: r.Size, Filename: r.Filename,
		CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, UsedAt: r.UsedAt}
}
