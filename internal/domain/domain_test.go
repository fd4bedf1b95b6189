package domain

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/parleyhq/parley/apitype"
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
		Partial: []apitype.AccountFailure{{AccountID: "acct_1", Code: "c"}}}.Envelope())
	if !strings.Contains(string(b), `"next_cursor":"n"`) || !strings.Contains(string(b), `"meta":{"partial":true`) {
		t.Errorf("list renders %s", b)
	}
}

func TestIDCursor(t *testing.T) {
	t.Parallel()
	for c, ok := range map[string]bool{
		"": true, "brand_0190b2c4d5e67f8091a2b3c4d5e6f708": true,
		"brand_0190B2C4D5E67F8091A2B3C4D5E6F708": false, "acct_0190b2c4d5e67f8091a2b3c4d5e6f708": false,
		"brand_0190b2c4": false, "brand_0190b2c4d5e67f8091a2b3c4d5e6f70g": false, "zzz": false, "brand_": false,
	} {
		if err := IDCursor("brand", c); (err == nil) != ok {
			t.Errorf("IDCursor(brand, %q) = %v", c, err)
		}
	}
}
