package inbox

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/store"
)

// IdempotencyTTL is how long a key's first outcome is replayed.
const IdempotencyTTL = 24 * time.Hour

// maxIdempotencyWait bounds how long a duplicate waits for the first request.
const maxIdempotencyWait = 30 * time.Second

// abandonedAfter is when a still-pending key is taken for a crashed request:
// longer than any send can take (platform calls time out after 30 s).
const abandonedAfter = 2 * time.Minute

// storedOutcome is what an idempotency key remembers.
type storedOutcome struct {
	Message *apitype.Message `json:"message,omitempty"`
	Error   *storedError     `json:"error,omitempty"`
	Meta    map[string]any   `json:"-"`
}

type storedError struct {
	Status  int            `json:"status"`
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Meta    map[string]any `json:"meta,omitempty"`
}

func requestHash(id string, in apitype.SendInput) []byte {
	b, _ := json.Marshal(struct {
		ID string
		In apitype.SendInput
	}{id, in})
	h := sha256.Sum256(b)
	return h[:]
}

func (s *Inbox) sendIdempotent(ctx context.Context, c domain.Caller, id string, in apitype.SendInput) (apitype.Message, error) {
	if len(in.IdempotencyKey) > 255 {
		return apitype.Message{}, apierr.Invalid("Idempotency-Key", "Idempotency-Key must be at most 255 characters")
	}
	hash := requestHash(id, in)
	rec, claimed, err := s.store.ClaimIdempotencyKey(ctx, store.IdempotencyRecord{OrgID: c.OrgID, Key: in.IdempotencyKey,
		RequestHash: hash, CreatedAt: s.now()}, IdempotencyTTL)
	if err != nil {
		return apitype.Message{}, err
	}
	if !claimed {
		return s.replay(ctx, c, in.IdempotencyKey, hash, rec)
	}
	msg, reached, err := s.send(ctx, c, id, in)
	if !reached || platformThrottled(err) {
		// Nothing was sent (a platform that rate limits a send refuses it):
		// forget the key so the caller can fix or wait, and retry with it.
		if rerr := s.store.ReleaseIdempotencyKey(context.WithoutCancel(ctx), c.OrgID, in.IdempotencyKey); rerr != nil {
			s.log.ErrorContext(ctx, "release idempotency key", "err", rerr)
		}
		return msg, err
	}
	out := storedOutcome{}
	code := http.StatusCreated
	if err != nil {
		e, ok := apierr.As(err)
		if !ok {
			e = apierr.Internal()
		}
		out.Error = &storedError{Status: e.Status, Code: e.Code, Message: e.Message, Meta: e.Meta}
		code = e.Status
	} else {
		out.Message = &msg
	}
	body, _ := json.Marshal(out)
	if cerr := s.store.CompleteIdempotencyKey(context.WithoutCancel(ctx), c.OrgID, in.IdempotencyKey, code, body); cerr != nil {
		s.log.ErrorContext(ctx, "complete idempotency key", "err", cerr)
	}
	return msg, err
}

// replay answers a repeated key: the stored outcome when the body matches,
// after waiting for a concurrent first request to finish.
func (s *Inbox) replay(ctx context.Context, c domain.Caller, key string, hash []byte, rec store.IdempotencyRecord) (apitype.Message, error) {
	if string(rec.RequestHash) != string(hash) {
		return apitype.Message{}, apierr.New(http.StatusUnprocessableEntity, "validation.idempotency_key_reused",
			"this Idempotency-Key was used with a different request; use a new key for a new message").With("field", "Idempotency-Key")
	}
	deadline := time.Now().Add(maxIdempotencyWait)
	for rec.State != store.IdempotencyComplete {
		if s.now().Sub(rec.CreatedAt) > abandonedAfter {
			// The process that claimed the key died between calling the
			// platform and recording the answer: the message may or may not
			// have gone out, and sending again could duplicate it.
			return apitype.Message{}, apierr.New(http.StatusConflict, "resource.idempotency_outcome_unknown",
				"the first request with this Idempotency-Key was interrupted; check the conversation's messages before sending again with a new key").
				With("claimed_at", rec.CreatedAt)
		}
		if time.Now().After(deadline) {
			return apitype.Message{}, apierr.New(http.StatusConflict, "resource.idempotency_in_progress",
				"a request with this Idempotency-Key is still in progress; retry later")
		}
		select {
		case <-ctx.Done():
			return apitype.Message{}, ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
		var err error
		rec, err = s.store.GetIdempotencyKey(ctx, c.OrgID, key)
		if errors.Is(err, store.ErrNotFound) {
			// The first request never reached the platform and released the
			// key; this one may go ahead as a fresh request.
			return apitype.Message{}, apierr.New(http.StatusConflict, "resource.idempotency_in_progress",
				"the first request with this Idempotency-Key failed before sending; retry")
		}
		if err != nil {
			return apitype.Message{}, err
		}
	}
	var out storedOutcome
	if err := json.Unmarshal(rec.ResponseBody, &out); err != nil {
		return apitype.Message{}, err
	}
	if out.Error != nil {
		return apitype.Message{}, &apierr.Error{Status: out.Error.Status, Code: out.Error.Code, Message: out.Error.Message, Meta: out.Error.Meta}
	}
	m := *out.Message
	m.Replayed = true
	return m, nil
}

// platformThrottled reports a platform's refusal for rate (a 429 that is not
// the caller's own API quota): the platform sent nothing.
func platformThrottled(err error) bool {
	e, ok := apierr.As(err)
	return ok && e.Status == http.StatusTooManyRequests && e.Code != "rate_limit.exceeded"
}
