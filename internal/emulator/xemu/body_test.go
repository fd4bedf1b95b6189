package xemu

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/testsupport/golden"
)

// Send bodies are checked against X's closed schema: an unknown property
// (a misspelt "txt", a v1.1-era "quick_reply") and a text over 10,000
// characters are refused with nothing recorded; exactly 10,000 characters,
// counted as code points, is accepted.
func TestSendBodyValidation(t *testing.T) {
	t.Parallel()
	e, _ := fixture(t, Options{SendLimit: 100})
	path := "/2/dm_conversations/with/" + aliceID + "/messages"
	long := func(n int) string {
		b, _ := json.Marshal(map[string]string{"text": strings.Repeat("é", n)})
		return string(b)
	}
	for _, bad := range []string{
		`{"txt":"hi"}`,
		`{"text":"hi","quick_reply":{"type":"options"}}`,
		`{"text":"hi","attachments":[{"media_id":"1","alt":"x"}]}`,
		`{"text":5}`,
		`{"text":""}`,
		`[]`,
		long(maxTextChars + 1),
	} {
		before := len(e.Messages(bizID))
		w := do(t, e, "POST", path, bizTok, bad)
		var body problem
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != 400 || body.Type != problemBase+"invalid-request" || len(body.Errors) != 1 || body.Errors[0].Message == "" {
			t.Errorf("%.60s: %d %s", bad, w.Code, w.Body)
		}
		if after := len(e.Messages(bizID)); after != before {
			t.Errorf("%.60s: refused send was recorded", bad)
		}
	}
	if w := do(t, e, "POST", path, bizTok, long(maxTextChars)); w.Code != 201 {
		t.Fatalf("10,000 characters: %d %s", w.Code, w.Body)
	}
	golden.Compare(t, filepath.Join("testdata", "error_400_unknown_property.golden"),
		wire(do(t, e, "POST", path, bizTok, `{"text":"hi","quick_reply":{"type":"options"}}`)))
	golden.Compare(t, filepath.Join("testdata", "error_400_text_too_long.golden"),
		wire(do(t, e, "POST", path, bizTok, long(maxTextChars+1))))
}
