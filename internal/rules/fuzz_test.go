package rules

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/platform"
)

// FuzzDecide feeds Decide the outside input it sees (request text, tag,
// template fields, platform names, arbitrary times) and checks the invariants
// every caller relies on. Seeds live in testdata/fuzz/FuzzDecide.
func FuzzDecide(f *testing.F) {
	f.Add("messenger", "hello", false, "", "", "", "", "", false, int64(3600e9), int64(0), int64(0), int64(0))
	f.Add("whatsapp", "", false, "", "promo", "en", "marketing", "APPROVED", false, int64(2*86400e9), int64(0), int64(0), int64(60e9))
	f.Fuzz(func(t *testing.T, p, txt string, attach bool, tag, tName, tLang, tCat, tStatus string, automated bool,
		sinceInbound, sinceOutbound, sinceReferral, sinceReply int64) {
		now := t0
		c := Conversation{}
		// A zero offset means "unknown" so the zero-time paths are fuzzed too.
		if sinceInbound != 0 {
			c.LastInboundAt = now.Add(-time.Duration(sinceInbound))
		}
		if sinceOutbound != 0 {
			c.LastOutboundAt = now.Add(-time.Duration(sinceOutbound))
		}
		if sinceReferral != 0 {
			c.ReferralAt = now.Add(-time.Duration(sinceReferral))
		}
		if sinceReply != 0 {
			c.EntryPointReplyAt = now.Add(-time.Duration(sinceReply))
		}
		r := Request{Text: txt, HasAttachment: attach, Tag: tag, Automated: automated}
		if tName != "" || tLang != "" || tCat != "" || tStatus != "" {
			r.Template = &TemplateRef{Name: tName, Language: tLang, Category: tCat, Status: tStatus}
		}
		pn := platform.Name(p)
		d := Decide(pn, c, r, now)
		if d.Allowed == (d.Err != nil) {
			t.Fatalf("allowed=%v with err=%v", d.Allowed, d.Err)
		}
		if d.Err != nil {
			switch d.Err.Status {
			case http.StatusGone, http.StatusUnprocessableEntity, http.StatusNotImplemented:
			default:
				t.Fatalf("unexpected status %d", d.Err.Status)
			}
			if !strings.Contains(d.Err.Code, ".") || d.Err.Message == "" {
				t.Fatalf("malformed error %+v", d.Err)
			}
			if d.Pricing != nil || d.MessagingType != "" || d.OpensEntryPoint {
				t.Fatalf("refusal carries send details: %+v", d)
			}
		} else {
			if (pn == platform.WhatsApp) != (d.Pricing != nil) {
				t.Fatalf("pricing %+v on %s", d.Pricing, pn)
			}
			meta := pn == platform.Instagram || pn == platform.Messenger
			if meta != (d.MessagingType != "") {
				t.Fatalf("messaging type %q on %s", d.MessagingType, pn)
			}
			if !platform.HasDMAPI(pn) {
				t.Fatalf("allowed on %q", pn)
			}
		}
		if again := Decide(pn, c, r, now); !reflect.DeepEqual(d, again) {
			t.Fatal("not deterministic")
		}
		w := Window(pn, c, now)
		if w.AllowedTags == nil {
			t.Fatal("nil allowed_tags")
		}
	})
}
