package webhookjson

import (
	"encoding/json"
	"testing"
	"time"
)

func TestID(t *testing.T) {
	tests := []struct {
		in      string
		want    ID
		wantErr bool
	}{
		{in: `"1234"`, want: "1234"},
		{in: `""`, want: ""},
		{in: `1234`, want: "1234"},
		{in: `17841400000000001`, want: "17841400000000001"}, // beyond float64 precision, kept exact
		{in: `1.5e3`, want: "1.5e3"},
		{in: `null`, want: ""},
		{in: `true`, wantErr: true},
		{in: `{}`, wantErr: true},
		{in: `[1]`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var v struct {
				ID ID `json:"id"`
			}
			err := json.Unmarshal([]byte(`{"id":`+tt.in+`}`), &v)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && v.ID != tt.want {
				t.Fatalf("got %q, want %q", v.ID, tt.want)
			}
		})
	}
}

func TestInt(t *testing.T) {
	tests := []struct {
		in   string
		want Int
	}{
		{in: `1700000000`, want: 1700000000},
		{in: `"1700000000000"`, want: 1700000000000},
		{in: `-5`, want: -5},
		{in: `"x"`, want: 0},
		{in: `1.5`, want: 0},
		{in: `null`, want: 0},
		{in: `{}`, want: 0},
		{in: `99999999999999999999`, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			v := struct {
				N Int `json:"n"`
			}{N: 42}
			if err := json.Unmarshal([]byte(`{"n":`+tt.in+`}`), &v); err != nil {
				t.Fatalf("err = %v", err)
			}
			if v.N != tt.want {
				t.Fatalf("got %d, want %d", v.N, tt.want)
			}
		})
	}
}

func TestPresent(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{in: ``, want: false},
		{in: `null`, want: false},
		{in: ` null `, want: false},
		{in: `{}`, want: true},
		{in: `""`, want: true},
		{in: `0`, want: true},
		{in: `nullx`, want: true},
	}
	for _, tt := range tests {
		if got := Present(json.RawMessage(tt.in)); got != tt.want {
			t.Errorf("Present(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestMillis(t *testing.T) {
	tests := []struct {
		in   int64
		want time.Time
	}{
		{in: 0},
		{in: -1},
		{in: 1<<53 + 1},
		{in: 1, want: time.Unix(0, 1e6).UTC()},
		{in: 1700000000123, want: time.Date(2023, 11, 14, 22, 13, 20, 123e6, time.UTC)},
		{in: 1 << 53, want: time.UnixMilli(1 << 53).UTC()},
	}
	for _, tt := range tests {
		got := Millis(tt.in)
		if !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("Millis(%d) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
