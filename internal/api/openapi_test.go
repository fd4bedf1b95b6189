package api_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/parleyhq/parley/internal/convid"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestOpenAPIMatchesHandlers fetches /openapi.json, calls every operation it
// documents, and checks each answer's status is one the document lists and
// its body validates against the documented schema.
func TestOpenAPIMatchesHandlers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.Backend{Name: "sqlite", DataDir: t.TempDir()})
	key := e.org("A")
	brand, acct, keyID := e.seedA(key)
	spare := e.do("POST", "/v1/brands", key, map[string]any{"name": "spare"}).data(t)["id"].(string)

	r := e.do("GET", "/openapi.json", "", nil)
	expect(t, r, 200, "")
	var doc struct {
		OpenAPI    string                                       `json:"openapi"`
		Paths      map[string]map[string]json.RawMessage        `json:"paths"`
		Components struct{ Schemas map[string]json.RawMessage } `json:"components"`
	}
	if err := json.Unmarshal(r.raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" || len(doc.Paths) < 10 {
		t.Fatalf("unexpected document: openapi=%q, %d paths", doc.OpenAPI, len(doc.Paths))
	}
	defs := map[string]*jsonschema.Schema{}
	for name, raw := range doc.Components.Schemas {
		var s jsonschema.Schema
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatalf("schema %s: %v", name, err)
		}
		defs[name] = &s
	}
	// Requests with a valid body per operation, and the path ids to use.
	bodies := map[string]any{
		"createBrand":   map[string]any{"name": "n"},
		"updateBrand":   map[string]any{"name": "n"},
		"createAccount": map[string]any{"brand_id": brand, "platform": "x", "native_id": "42", "access_token": "t"},
		"createApiKey":  map[string]any{"name": "n"},
		"sendMessage":   map[string]any{"text": "hello"},
	}
	ids := map[string]string{
		"getBrand": brand, "updateBrand": brand, "deleteBrand": spare, "getAccount": acct, "deleteAccount": acct,
		"revokeApiKey": keyID,
	}
	// Delete last so the other operations still find their records.
	order := func(m string) int {
		if m == "delete" {
			return 1
		}
		return 0
	}
	calls := 0
	for _, pass := range []int{0, 1} {
		for path, ops := range doc.Paths {
			for method, raw := range ops {
				if order(method) != pass {
					continue
				}
				var op struct {
					OperationID string `json:"operationId"`
					Responses   map[string]struct {
						Content map[string]struct {
							Schema json.RawMessage `json:"schema"`
						} `json:"content"`
					} `json:"responses"`
				}
				if err := json.Unmarshal(raw, &op); err != nil {
					t.Fatal(err)
				}
				id := ids[op.OperationID]
				if id == "" {
					id = convid.Encode(acct, "t_1")
				}
				p := strings.ReplaceAll(path, "{id}", id)
				res := e.do(strings.ToUpper(method), p, key, bodies[op.OperationID])
				calls++
				doc, ok := op.Responses[strconv.Itoa(res.status)]
				if !ok {
					t.Errorf("%s %s answered %d, not documented: %s", method, path, res.status, res.raw)
					continue
				}
				media, ok := doc.Content["application/json"]
				if !ok || len(media.Schema) == 0 || res.body == nil {
					continue
				}
				var s jsonschema.Schema
				if err := json.Unmarshal(media.Schema, &s); err != nil {
					t.Fatal(err)
				}
				inlineRefs(&s, defs)
				resolved, err := s.Resolve(nil)
				if err != nil {
					t.Fatalf("%s %s: resolve schema: %v", method, path, err)
				}
				var instance any
				_ = json.Unmarshal(res.raw, &instance)
				if err := resolved.Validate(instance); err != nil {
					t.Errorf("%s %s (%d): body does not match the documented schema: %v\n%s", method, path, res.status, err, res.raw)
				}
			}
		}
	}
	if calls < 20 {
		t.Fatalf("only %d operations exercised", calls)
	}
}

// inlineRefs replaces #/components/schemas refs with the schemas themselves,
// so a standalone JSON Schema validator can check a response.
func inlineRefs(s *jsonschema.Schema, defs map[string]*jsonschema.Schema) {
	if s == nil {
		return
	}
	if name, ok := strings.CutPrefix(s.Ref, "#/components/schemas/"); ok {
		*s = *defs[name]
		inlineRefs(s, defs)
		return
	}
	inlineRefs(s.Items, defs)
	for _, p := range s.Properties {
		inlineRefs(p, defs)
	}
	for _, p := range s.AnyOf {
		inlineRefs(p, defs)
	}
	inlineRefs(s.AdditionalProperties, defs)
}

// TestOpenAPIDocumentsEvents: every event type an endpoint may subscribe to
// is an OpenAPI webhook, message.* ones with the MessageEvent payload, and
// the new Meta kinds are among them.
func TestOpenAPIDocumentsEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.Backend{Name: "sqlite", DataDir: t.TempDir()})
	r := e.do("GET", "/openapi.json", "", nil)
	expect(t, r, 200, "")
	var doc struct {
		Webhooks map[string]struct {
			Post struct {
				Description string `json:"description"`
				RequestBody struct {
					Content map[string]struct {
						Schema struct {
							AllOf []struct {
								Ref        string `json:"$ref"`
								Properties map[string]struct {
									Ref   string `json:"$ref"`
									Const string `json:"const"`
								} `json:"properties"`
							} `json:"allOf"`
						} `json:"schema"`
					} `json:"content"`
				} `json:"requestBody"`
			} `json:"post"`
		} `json:"webhooks"`
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(r.raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"message.received", "message.failed", "message.reaction", "message.edited", "message.deleted", "account.connected"} {
		h, ok := doc.Webhooks[typ]
		if !ok || h.Post.Description == "" {
			t.Errorf("%s not documented: %+v", typ, h)
			continue
		}
		all := h.Post.RequestBody.Content["application/json"].Schema.AllOf
		if len(all) != 2 || all[0].Ref != "#/components/schemas/EventView" || all[1].Properties["type"].Const != typ {
			t.Errorf("%s schema %+v", typ, all)
		}
		if strings.HasPrefix(typ, "message.") && all[1].Properties["data"].Ref != "#/components/schemas/MessageEvent" {
			t.Errorf("%s data %+v", typ, all[1].Properties["data"])
		}
	}
	for _, field := range []string{"reaction", "text", "edit_count", "standby", "error_details", "participant_username"} {
		if _, ok := doc.Components.Schemas["MessageEvent"].Properties[field]; !ok {
			t.Errorf("MessageEvent lacks %s", field)
		}
	}
}
