package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/service"
)

// TestOperationWrapper checks the mechanics that make one declaration the
// only source of an operation's behaviour, on operations built here
// without a database: the declared status is the one answered, a declared
// parameter the handler ignores is a 500 (found by the first test calling
// the route), and reading an undeclared one cannot happen unnoticed.
func TestOperationWrapper(t *testing.T) {
	t.Parallel()
	a := &API{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	type thing struct {
		Name string `json:"name"`
	}
	call := func(rt Route, target, body string) *httptest.ResponseRecorder {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		rec := httptest.NewRecorder()
		func() {
			defer func() {
				if p := recover(); p != nil {
					rec.Code = 500 // as the middleware would answer
				}
			}()
			rt.Handler(rec, httptest.NewRequest(rt.Method, target, rd))
		}()
		return rec
	}
	base := Route{Method: "POST", Path: "/things", OperationID: "createThing", Public: true, Status: http.StatusCreated,
		Query: []Param{{Name: "color", Type: "string"}, {Name: "fresh", Type: "boolean"}}}

	good := op(a, base, func(_ context.Context, _ service.Caller, p *params, in thing) (thing, error) {
		fresh := p.flag("fresh")
		return thing{Name: in.Name + "/" + p.str("color") + "/" + map[bool]string{true: "fresh", false: "stale"}[fresh != nil && *fresh]}, nil
	})
	if good.Body != reflect.TypeFor[thing]() || good.Data != reflect.TypeFor[thing]() || good.List {
		t.Fatalf("op did not take Body and Data from its handler: %+v", good)
	}
	if rec := call(good, "/things?color=red&fresh=true", `{"name":"a"}`); rec.Code != 201 || !strings.Contains(rec.Body.String(), `"a/red/fresh"`) {
		t.Fatalf("declared 201 and parameters: got %d %s", rec.Code, rec.Body)
	}
	if rec := call(good, "/things?colour=red", `{"name":"a"}`); rec.Code != 400 || !strings.Contains(rec.Body.String(), "validation.unknown_parameter") {
		t.Fatalf("undeclared parameter: got %d %s", rec.Code, rec.Body)
	}
	if rec := call(good, "/things?fresh=maybe", `{"name":"a"}`); rec.Code != 422 {
		t.Fatalf("bad boolean: got %d %s", rec.Code, rec.Body)
	}
	if rec := call(good, "/things", `{"nme":"a"}`); rec.Code != 422 || !strings.Contains(rec.Body.String(), "validation.unknown_field") {
		t.Fatalf("unknown body field: got %d %s", rec.Code, rec.Body)
	}

	lazy := op(a, base, func(_ context.Context, _ service.Caller, p *params, in thing) (thing, error) {
		return thing{Name: p.str("color")}, nil // never reads fresh
	})
	if rec := call(lazy, "/things", `{"name":"a"}`); rec.Code != 500 {
		t.Fatalf("a handler ignoring a declared parameter answered %d %s", rec.Code, rec.Body)
	}

	nosy := op(a, base, func(_ context.Context, _ service.Caller, p *params, in thing) (thing, error) {
		p.str("color")
		p.flag("fresh")
		return thing{Name: p.str("size")}, nil // not declared
	})
	if rec := call(nosy, "/things", `{"name":"a"}`); rec.Code != 500 {
		t.Fatalf("a handler reading an undeclared parameter answered %d %s", rec.Code, rec.Body)
	}

	gone := op(a, Route{Method: "DELETE", Path: "/things/{id}", Public: true, Status: http.StatusNoContent},
		func(context.Context, service.Caller, *params, none) (none, error) { return none{}, nil })
	if gone.Body != nil || gone.Data != nil {
		t.Fatalf("none is no body: %+v", gone)
	}
	if rec := call(gone, "/things/1", ""); rec.Code != 204 || rec.Body.Len() != 0 {
		t.Fatalf("declared 204: got %d %q", rec.Code, rec.Body)
	}

	page := list(a, Route{Method: "GET", Path: "/things", Public: true, Status: http.StatusOK, Query: pageOf(3)},
		func(_ context.Context, _ service.Caller, p *params, _ none) (service.List[thing], error) {
			return service.List[thing]{Data: make([]thing, p.pageRequest().Limit)}, nil
		})
	if !page.List || page.Data != reflect.TypeFor[thing]() {
		t.Fatalf("list did not declare the list envelope of its items: %+v", page)
	}
	if rec := call(page, "/things?limit=2", ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"data":[{"name":""},{"name":""}]`) {
		t.Fatalf("list: got %d %s", rec.Code, rec.Body)
	}
	if rec := call(page, "/things?limit=4", ""); rec.Code != 400 || !strings.Contains(rec.Body.String(), "validation.invalid_limit") {
		t.Fatalf("limit above the declared maximum: got %d %s", rec.Code, rec.Body)
	}
}
