package meta

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/apierr"
	"github.com/parleyhq/parley/internal/platform"
)

func graphBody(code, sub int, msg string) []byte {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{
		"message": msg, "type": "OAuthException", "code": code, "error_subcode": sub, "fbtrace_id": "AbCdEf123",
	}})
	return b
}

func TestMapErrorTable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		status int
		code   int
		sub    int
		header http.Header
		want   int
		wcode  string
		retry  any
	}{
		{"190", 400, 190, 0, nil, 409, "account.reauth_required", nil},
		{"190/460 password changed", 400, 190, 460, nil, 409, "account.reauth_required", nil},
		{"102 session", 400, 102, 0, nil, 409, "account.reauth_required", nil},
		{"4 with Retry-After", 400, 4, 0, http.Header{"Retry-After": {"30"}}, 429, "platform.messenger.rate_limit", 30},
		{"17", 400, 17, 0, nil, 429, "platform.messenger.rate_limit", nil},
		{"32", 400, 32, 0, nil, 429, "platform.messenger.rate_limit", nil},
		{"613", 400, 613, 0, nil, 429, "platform.messenger.rate_limit", nil},
		{"80006 BUC header", 400, 80006, 0, http.Header{"X-Business-Use-Case-Usage": {`{"1":[{"type":"messenger","estimated_time_to_regain_access":3},{"estimated_time_to_regain_access":7}]}`}}, 429, "platform.messenger.rate_limit", 420},
		{"80002 bad header", 400, 80002, 0, http.Header{"X-Business-Use-Case-Usage": {`nope`}}, 429, "platform.messenger.rate_limit", nil},
		{"10/2018278", 400, 10, 2018278, nil, 410, "conversation.window_closed", nil},
		{"10/2534022", 403, 10, 2534022, nil, 410, "conversation.window_closed", nil},
		{"10 plain", 403, 10, 0, nil, 502, "platform.messenger.permission_denied", nil},
		{"200", 400, 200, 0, nil, 502, "platform.messenger.permission_denied", nil},
		{"100/33", 400, 100, 33, nil, 404, "resource.not_found", nil},
		{"803", 400, 803, 0, nil, 404, "resource.not_found", nil},
		{"100/2018001", 400, 100, 2018001, nil, 404, "resource.not_found", nil},
		{"551/1545041", 400, 551, 1545041, nil, 502, "platform.messenger.recipient_unavailable", nil},
		{"2 transient", 500, 2, 0, nil, 502, "platform.messenger.unavailable", nil},
		{"1 unknown", 400, 1, 0, nil, 502, "platform.messenger.unavailable", nil},
		{"odd code on 503", 503, 9999, 0, nil, 502, "platform.messenger.unavailable", nil},
		{"368", 400, 368, 0, nil, 502, "platform.messenger.policy_blocked", nil},
		{"100", 400, 100, 0, nil, 502, "platform.messenger.invalid_request", nil},
		{"2500", 400, 2500, 0, nil, 502, "platform.messenger.invalid_request", nil},
		{"other", 400, 77, 0, nil, 502, "platform.messenger.request_failed", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.header
			if h == nil {
				h = http.Header{}
			}
			e := MapError(platform.Messenger, tc.status, h, graphBody(tc.code, tc.sub, "secret upstream words"))
			if e.Status != tc.want || e.Code != tc.wcode {
				t.Fatalf("got %d %s, want %d %s", e.Status, e.Code, tc.want, tc.wcode)
			}
			if e.Meta["native_code"] != tc.code || e.Meta["trace_id"] != "AbCdEf123" || e.Meta["native_type"] != "OAuthException" || e.Meta["http_status"] != tc.status {
				t.Errorf("meta = %v", e.Meta)
			}
			if tc.sub != 0 && e.Meta["native_subcode"] != tc.sub {
				t.Errorf("native_subcode = %v", e.Meta["native_subcode"])
			}
			if e.Meta["retry_after_seconds"] != tc.retry {
				t.Errorf("retry_after_seconds = %v, want %v", e.Meta["retry_after_seconds"], tc.retry)
			}
			if strings.Contains(e.Message, "secret upstream") {
				t.Error("upstream message leaked")
			}
		})
	}
}

func TestParseGraphTime(t *testing.T) {
	t.Parallel()
	want := time.Date(2024, 2, 13, 18, 21, 13, 0, time.UTC)
	for _, s := range []string{"2024-02-13T18:21:13+0000", "2024-02-13T19:21:13+0100", "2024-02-13T18:21:13Z", "1707848473", "1707848473000"} {
		if got := parseGraphTime(s); !got.Equal(want) {
			t.Errorf("%q = %v", s, got)
		}
	}
	for _, s := range []string{"", "yesterday", "-5"} {
		if got := parseGraphTime(s); !got.IsZero() {
			t.Errorf("%q = %v, want zero", s, got)
		}
	}
	var w struct {
		T graphTime `json:"t"`
	}
	if err := json.Unmarshal([]byte(`{"t":1707848473}`), &w); err != nil || !w.T.Equal(want) {
		t.Errorf("numeric time: %v %v", w.T, err)
	}
	if err := json.Unmarshal([]byte(`{"t":{"x":1}}`), &w); err != nil {
		t.Errorf("odd time shape should not fail the page: %v", err)
	}
}

// FuzzMapError: any upstream status, usage header and body yields a
// well-formed error of an allowed code that never repeats the upstream
// message.
func FuzzMapError(f *testing.F) {
	f.Add(400, `{"1":[{"estimated_time_to_regain_access":5}]}`, string(graphBody(80006, 0, "(#80006) too many")))
	f.Add(403, ``, string(graphBody(10, 2534022, "This message is sent outside of allowed window.")))
	f.Add(500, ``, `<html>`)
	f.Add(429, `{"x":[]}`, `{"error":null}`)
	f.Fuzz(func(t *testing.T, status int, usage string, body string) {
		h := http.Header{}
		h.Set("X-Business-Use-Case-Usage", usage)
		e := MapError(platform.Instagram, status, h, []byte(body))
		if e == nil || e.Status == 0 || e.Message == "" {
			t.Fatalf("bad error %+v", e)
		}
		switch {
		case strings.HasPrefix(e.Code, "platform.instagram."),
			e.Code == "account.reauth_required", e.Code == "conversation.window_closed", e.Code == "resource.not_found":
		default:
			t.Fatalf("unexpected code %s", e.Code)
		}
		if ge, ok := ParseErrorBody([]byte(body)); ok {
			// Our message must not depend on the upstream one.
			ge.Message = ""
			blank, _ := json.Marshal(map[string]any{"error": ge})
			if e2 := MapError(platform.Instagram, status, h, blank); e2.Message != e.Message || e2.Code != e.Code {
				t.Fatalf("message depends on upstream text: %q vs %q", e.Message, e2.Message)
			}
		}
		if _, err := apierr.As(e); !err {
			t.Fatal("not an apierr")
		}
	})
}

// FuzzDecodeConversation: whatever Graph sends for a conversation, decoding
// and conversion do not panic.
func FuzzDecodeConversation(f *testing.F) {
	f.Add(`{"id":"t_1","updated_time":"2024-02-13T18:21:13+0000","participants":{"data":[{"id":"1","name":"A"},{"id":"P","name":"Page"}]},"messages":{"data":[{"id":"m_1","created_time":"2024-02-13T18:21:13+0000","from":{"id":"1"},"message":"hi","attachments":{"data":[{"image_data":{"url":"u"}}]}}]}}`)
	f.Add(`{"id":"aWdf","updated_time":1707848473,"participants":{"data":[{"id":"P","username":"biz"}]}}`)
	f.Add(`{"messages":{"data":[{"from":{}}]}}`)
	a := NewMessenger(Options{})
	acct := platform.Account{NativeID: "P"}
	f.Fuzz(func(t *testing.T, body string) {
		var wc wireConversation
		if json.Unmarshal([]byte(body), &wc) != nil {
			return
		}
		c := a.toConversation(acct, wc)
		if c.ParticipantID == "P" && len(wc.Participants.Data) > 1 {
			for _, p := range wc.Participants.Data {
				if p.ID != "P" {
					t.Fatalf("picked the business as participant: %+v", c)
				}
			}
		}
		if wc.Messages != nil {
			for _, m := range wc.Messages.Data {
				_ = a.toMessage(acct, m)
			}
		}
	})
}
