package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/parleyhq/parley/internal/envelope"
	"github.com/parleyhq/parley/internal/events"
	"github.com/parleyhq/parley/internal/service"
)

// buildOpenAPI renders the route table as an OpenAPI 3.1 document. Schemas are
// inferred from the same Go types the handlers encode and decode.
func (a *API) buildOpenAPI() ([]byte, error) {
	schemas := map[string]any{}
	ref := func(t reflect.Type) (map[string]any, error) {
		name := schemaName(t)
		if _, ok := schemas[name]; !ok {
			s, err := jsonschema.ForType(t, &jsonschema.ForOptions{})
			if err != nil {
				return nil, err
			}
			schemas[name] = s
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}, nil
	}
	errRef, err := ref(reflect.TypeFor[envelope.ErrorBody]())
	if err != nil {
		return nil, err
	}
	pageRef, err := ref(reflect.TypeFor[envelope.Pagination]())
	if err != nil {
		return nil, err
	}
	metaRef, err := ref(reflect.TypeFor[envelope.ListMeta]())
	if err != nil {
		return nil, err
	}
	paths := map[string]map[string]any{}
	for _, rt := range a.routes {
		op := map[string]any{"operationId": rt.OperationID, "summary": rt.Summary, "tags": []string{rt.Tag}}
		switch {
		case rt.Operator:
			op["security"] = []any{map[string]any{"operator": []string{}}}
		case rt.Public:
			op["security"] = []any{}
		}
		var params []any
		for _, seg := range strings.Split(rt.Path, "/") {
			if strings.HasPrefix(seg, "{") {
				params = append(params, map[string]any{"name": strings.Trim(seg, "{}"), "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
			}
		}
		for _, q := range rt.Query {
			schema := map[string]any{"type": q.Type}
			if q.Max > 0 {
				schema["minimum"], schema["maximum"] = q.Min, q.Max
			}
			params = append(params, map[string]any{"name": q.Name, "in": "query", "description": q.Description, "schema": schema})
		}
		for _, h := range rt.Headers {
			schema := map[string]any{"type": "string"}
			if h.MaxLength > 0 {
				schema["maxLength"] = h.MaxLength
			}
			param := map[string]any{"name": h.Name, "in": "header", "schema": schema}
			if h.Description != "" {
				param["description"] = h.Description
			}
			params = append(params, param)
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.Body != nil {
			r, err := ref(rt.Body)
			if err != nil {
				return nil, err
			}
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": r}}}
		}
		if rt.Form != nil {
			op["requestBody"] = formBody(rt.Form)
		}
		responses := map[string]any{}
		ok := map[string]any{"description": http.StatusText(rt.Status)}
		switch {
		case rt.Raw != "":
			ok["content"] = map[string]any{rt.Raw: map[string]any{}}
		case rt.Data != nil:
			d, err := ref(rt.Data)
			if err != nil {
				return nil, err
			}
			var body map[string]any
			switch {
			case rt.Whole:
				body = d
			case rt.List:
				body = map[string]any{"type": "object", "required": []string{"data", "pagination"}, "additionalProperties": false,
					"properties": map[string]any{"data": map[string]any{"type": "array", "items": d}, "pagination": pageRef, "meta": metaRef}}
			default:
				body = map[string]any{"type": "object", "required": []string{"data"}, "additionalProperties": false, "properties": map[string]any{"data": d}}
			}
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": body}}
		}
		for _, code := range rt.statuses() {
			if code == rt.Status {
				responses[strconv.Itoa(code)] = ok
				continue
			}
			resp := map[string]any{"description": http.StatusText(code), "content": map[string]any{"application/json": map[string]any{"schema": errRef}}}
			if code == http.StatusUnauthorized && !rt.Public {
				resp["headers"] = map[string]any{"WWW-Authenticate": map[string]any{
					"description": `RFC 6750 challenge: Bearer realm="parley", with error="invalid_token" when a key was sent but refused`,
					"schema":      map[string]any{"type": "string"}}}
			}
			responses[strconv.Itoa(code)] = resp
		}
		op["responses"] = responses
		if paths[rt.Path] == nil {
			paths[rt.Path] = map[string]any{}
		}
		paths[rt.Path][strings.ToLower(rt.Method)] = op
	}
	webhooks, err := eventHooks(ref)
	if err != nil {
		return nil, err
	}
	doc := map[string]any{
		"openapi":  "3.1.0",
		"webhooks": webhooks,
		"info": map[string]any{"title": "Parley", "version": a.version,
			"description": "Unified direct-messaging API for Instagram, Messenger, WhatsApp Business, LinkedIn Pages and X."},
		"servers":  []any{map[string]any{"url": "/"}},
		"security": []any{map[string]any{"bearer": []string{}}},
		"paths":    paths,
		"components": map[string]any{
			"schemas": schemas,
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "sapi_key_…"},
				"operator": map[string]any{"type": "http", "scheme": "bearer",
					"description": "PARLEY_OPERATOR_TOKEN, for the operator API only; API keys are refused there, and it is refused everywhere else"},
			},
		},
	}
	return json.MarshalIndent(doc, "", "  ")
}

// eventHooks documents the events Parley posts to users' endpoints, one
// OpenAPI webhook per type: an EventView whose data is a MessageEvent for
// message.* types.
func eventHooks(ref func(reflect.Type) (map[string]any, error)) (map[string]any, error) {
	viewRef, err := ref(reflect.TypeFor[service.EventView]())
	if err != nil {
		return nil, err
	}
	msgRef, err := ref(reflect.TypeFor[service.MessageEvent]())
	if err != nil {
		return nil, err
	}
	hooks := map[string]any{}
	for _, typ := range service.EventTypes {
		props := map[string]any{"type": map[string]any{"const": typ}}
		if strings.HasPrefix(typ, "message.") {
			props["data"] = msgRef
		}
		body := map[string]any{"allOf": []any{viewRef, map[string]any{"type": "object", "properties": props}}}
		hooks[typ] = map[string]any{"post": map[string]any{
			"operationId": "event_" + strings.ReplaceAll(typ, ".", "_"),
			"summary":     typ,
			"description": events.Describe(typ) + " Signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature).",
			"requestBody": map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": body}}},
			"responses":   map[string]any{"2XX": map[string]any{"description": "received; anything else is retried"}},
		}}
	}
	return hooks, nil
}

func schemaName(t reflect.Type) string {
	name := t.Name()
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i]
	}
	return name
}
