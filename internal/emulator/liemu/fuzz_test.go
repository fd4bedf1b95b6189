package liemu

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"testing"
)

// FuzzParseCreate checks the POST /rest/messages body parser never panics and
// that whatever it accepts satisfies the documented rules.
func FuzzParseCreate(f *testing.F) {
	f.Add([]byte(`{"author":"urn:li:organization:1","thread":"urn:li:messagingThread:2-a","body":"hi"}`))
	f.Add([]byte(`{"author":"urn:li:organization:1","recipients":["urn:li:person:a"],"body":"hi","attachments":["urn:li:digitalmediaAsset:X"]}`))
	f.Add([]byte(`{"author":"a","thread":"t","recipients":["p"],"body":"<b>x</b>"}`))
	f.Add([]byte(`{"body":1}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		cm, rerr := parseCreate(raw)
		if rerr != nil {
			if rerr.Status != 400 || rerr.Message == "" {
				t.Fatalf("bad error %+v", rerr)
			}
			return
		}
		if cm.Author == "" || (cm.Thread == "") == (len(cm.Recipients) == 0) || (blank(cm.Body) && len(cm.Attachments) == 0) {
			t.Fatalf("accepted invalid body %+v", cm)
		}
	})
}

// FuzzParsePaging checks start/count parsing never panics or yields negative
// or uncapped values.
func FuzzParsePaging(f *testing.F) {
	f.Add("0", "10", 100)
	f.Add("", "", 0)
	f.Add("-1", "99999999999999999999", 100)
	f.Fuzz(func(t *testing.T, start, count string, maxCount int) {
		s, c, problem := parsePaging(start, count, maxCount)
		if problem != "" {
			return
		}
		if s < 0 || c < 0 || (maxCount > 0 && c > maxCount) {
			t.Fatalf("parsePaging(%q,%q,%d) = %d,%d", start, count, maxCount, s, c)
		}
	})
}

// FuzzAclFinder feeds arbitrary queries to GET /rest/organizationAcls: never
// a panic, and the only organisation ever listed is the token's own.
func FuzzAclFinder(f *testing.F) {
	f.Add("q=roleAssignee&role=ADMINISTRATOR&state=APPROVED&start=0&count=100")
	f.Add("q=roleAssignee&start=5")
	f.Add("q=organization&organization=urn%3Ali%3Aorganization%3A1035")
	f.Add("q=roleAssignee&count=-1")
	fx := newFixture(f, Options{})
	f.Fuzz(func(t *testing.T, query string) {
		hr := httptest.NewRequest("GET", pathOrganizationAcls, nil)
		hr.URL.RawQuery = query
		hr.Header.Set("Authorization", "Bearer "+acmeTok)
		hr.Header.Set("LinkedIn-Version", "202509")
		hr.Header.Set("X-Restli-Protocol-Version", "2.0.0")
		rec := httptest.NewRecorder()
		fx.emu.ServeHTTP(rec, hr)
		resp := rec.Result()
		b, _ := io.ReadAll(resp.Body)
		if len(b) == 0 || b[0] != '{' {
			t.Fatalf("non-JSON answer %d %q", resp.StatusCode, b)
		}
		var col struct {
			Elements []wireAcl `json:"elements"`
		}
		if err := json.Unmarshal(b, &col); err != nil {
			t.Fatalf("answer is not JSON: %q", b)
		}
		for _, a := range col.Elements {
			if a.Organization != acme {
				t.Fatalf("another organisation listed: %s", b)
			}
		}
	})
}
