package webhookpost

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var errMine = errors.New("mine: webhook delivery failed")

func sign(body []byte) string { return "sig=" + string(body) }

func TestPost(t *testing.T) {
	type seen struct{ ctype, ua, sig, body string }
	tests := []struct {
		name    string
		status  int
		opts    Options
		wantErr error
		wantUA  string
	}{
		{name: "2xx", status: http.StatusNoContent, opts: Options{Err: errMine}},
		{name: "user agent", status: http.StatusOK, opts: Options{UserAgent: "facebookexternalua"}, wantUA: "facebookexternalua"},
		{name: "5xx", status: http.StatusServiceUnavailable, opts: Options{Err: errMine}, wantErr: errMine},
		{name: "redirect not followed", status: http.StatusFound, opts: Options{Err: errMine}, wantErr: errMine},
		{name: "default sentinel", status: http.StatusBadRequest, wantErr: ErrDelivery},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make(chan seen, 2)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				got <- seen{r.Header.Get("Content-Type"), r.Header.Get("User-Agent"), r.Header.Get("X-Sig"), string(b)}
				if tt.status == http.StatusFound {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			err := New(srv.URL, "X-Sig", sign, tt.opts).Post([]byte(`{"a":1}`))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), srv.URL) {
				t.Errorf("err %q does not name the target", err)
			}
			s := <-got
			if s.ctype != "application/json" || s.sig != `sig={"a":1}` || s.body != `{"a":1}` {
				t.Errorf("request %+v", s)
			}
			if tt.wantUA != "" && s.ua != tt.wantUA {
				t.Errorf("User-Agent %q, want %q", s.ua, tt.wantUA)
			}
			if len(got) != 0 {
				t.Error("redirect followed")
			}
		})
	}
}

func TestPostUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	if err := New(srv.URL, "X-Sig", sign, Options{Err: errMine, Timeout: time.Second}).Post(nil); !errors.Is(err, errMine) {
		t.Fatalf("err = %v", err)
	}
	if err := New("://bad", "X-Sig", sign, Options{Err: errMine}).Post(nil); !errors.Is(err, errMine) {
		t.Fatalf("bad url: err = %v", err)
	}
}
