package inbox

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/domain"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/rules"
	"github.com/parleyhq/parley/internal/store"
)

func limitOf(scope string, c ceiling) apitype.Limit {
	return apitype.Limit{Scope: scope, Max: c.max, WindowSeconds: int(c.window.Seconds()), Description: c.why}
}

// Platforms returns the capability matrix of every known platform.
func (s *Inbox) Platforms() []apitype.PlatformInfo {
	var out []apitype.PlatformInfo
	for _, c := range rules.Capabilities() {
		pi := apitype.PlatformInfo{Capability: c, Limits: []apitype.Limit{}}
		switch platform.Name(c.Platform) {
		case platform.Instagram, platform.Messenger:
			pi.Read, pi.History, pi.Send, pi.Attachments, pi.MarkRead = true, "live", true, true, true
			pi.Limits = append(pi.Limits, limitOf("account", metaSend))
			if platform.Name(c.Platform) == platform.Instagram {
				pi.Limits = append(pi.Limits, limitOf("account_automated", igAutomated))
			}
		case platform.WhatsApp:
			pi.Read, pi.History, pi.Send, pi.Attachments, pi.MarkRead = true, "journal", true, true, true
			pi.Limits = append(pi.Limits, limitOf("account", waThroughput), limitOf("recipient", waPair))
		case platform.X:
			// X sends media only after an upload to its media endpoint.
			pi.Read, pi.History, pi.Send = true, "live", true
			pi.Limits = append(pi.Limits, limitOf("account", xSend))
		case platform.LinkedIn:
			// LinkedIn takes media-asset URNs, not URLs, and has no
			// documented read receipt for Pages.
			pi.Read, pi.History, pi.Send = true, "live", true
		}
		out = append(out, pi)
	}
	return out
}

var monthPattern = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)

// WhatsAppUsage counts an account's WhatsApp messages by month, pricing
// category and whether they were free (DESIGN §2: counts, never prices),
// in that order, one page at a time.
func (s *Inbox) WhatsAppUsage(ctx context.Context, c domain.Caller, accountID, month string, p domain.PageRequest) (domain.List[store.UsageRow], error) {
	if month != "" && !monthPattern.MatchString(month) {
		return domain.List[store.UsageRow]{}, apierr.Invalid("month", "month must be YYYY-MM")
	}
	// The month filter is part of the list a cursor belongs to.
	scope := "usage\x00" + accountID + "\x00" + month
	after, err := s.afterKey(scope, p.Cursor)
	if err != nil {
		return domain.List[store.UsageRow]{}, err
	}
	a, err := s.store.GetAccount(ctx, c.OrgID, accountID)
	if err != nil {
		return domain.List[store.UsageRow]{}, domain.StoreErr(err, "account")
	}
	if platform.Name(a.Platform) != platform.WhatsApp {
		return domain.List[store.UsageRow]{}, apierr.New(http.StatusUnprocessableEntity, "validation.not_whatsapp", "usage is counted for WhatsApp accounts only").With("platform", a.Platform)
	}
	rows, err := s.store.Usage(ctx, c.OrgID, accountID, month)
	if err != nil {
		return domain.List[store.UsageRow]{}, err
	}
	return pageSlice(s, scope, after, rows, func(u store.UsageRow) string {
		return u.Month + "\x00" + u.Category + "\x00" + strconv.FormatBool(u.Free)
	}, p.Limit)
}

// ListPlatforms pages through the capability matrix, in its fixed order.
func (s *Inbox) ListPlatforms(p domain.PageRequest) (domain.List[apitype.PlatformInfo], error) {
	after, err := s.afterKey("platforms", p.Cursor)
	if err != nil {
		return domain.List[apitype.PlatformInfo]{}, err
	}
	all := s.Platforms()
	pos := make(map[string]string, len(all))
	for i, pi := range all {
		pos[pi.Platform] = fmt.Sprintf("%03d", i)
	}
	return pageSlice(s, "platforms", after, all, func(pi apitype.PlatformInfo) string { return pos[pi.Platform] }, p.Limit)
}
