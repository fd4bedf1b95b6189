package service

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestListEnvelope checks a domain list renders as the public list
// envelope: [] not null, a null cursor on the last page, meta only when an
// account failed.
func TestListEnvelope(t *testing.T) {
	t.Parallel()
	b, _ := json.Marshal(List[int]{Limit: 3}.Envelope())
	if string(b) != `{"data":[],"pagination":{"has_more":false,"limit":3,"next_cursor":null}}` {
		t.Errorf("empty list renders %s", b)
	}
	b, _ = json.Marshal(List[int]{Data: []int{1}, HasMore: true, NextCursor: "n", Limit: 1,
		Partial: []AccountFailure{{AccountID: "acct_1", Code: "c"}}}.Envelope())
	if !strings.Contains(string(b), `"next_cursor":"n"`) || !strings.Contains(string(b), `"meta":{"partial":true`) {
		t.Errorf("list renders %s", b)
	}
}
