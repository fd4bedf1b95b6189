package mcpserver

import (
	"strings"
	"testing"
)

func TestSchemaError(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		text, code, field string
	}{
		{`validating "arguments": validating root: validating /properties/limit: maximum: 500/1 is greater than 100.000000`, "validation.invalid_field", "limit"},
		{`validating "arguments": validating root: required: missing properties: ["id"]`, "validation.required", "id"},
		{`validating "arguments": validating root: unexpected additional properties ["colour"]`, "validation.unknown_field", "colour"},
		{`validating "arguments": validating root: validating /properties/attachment: validating /properties/attachment/properties/type: enum: gif does not equal any of: [image]`,
			"validation.invalid_field", "attachment.type"},
		{`validating "arguments": validating root: validating /properties/template: required: missing properties: ["language"]`, "validation.required", "template.language"},
		{`validating "arguments": something new`, "validation.invalid_arguments", ""},
	} {
		d := schemaError("tool", c.text)
		if d.Code != c.code || (c.field != "" && d.Meta["field"] != c.field) || (c.field == "" && d.Meta["field"] != nil) {
			t.Errorf("%s: %s %v", c.text, d.Code, d.Meta)
		}
		if strings.Contains(d.Message, "validating root") {
			t.Errorf("message keeps the SDK's prefix: %s", d.Message)
		}
	}
}

// FuzzSchemaError: whatever the SDK's validator says, the mapping answers a
// validation.* code and never panics.
func FuzzSchemaError(f *testing.F) {
	f.Add(`validating "arguments": validating root: validating /properties/a: validating /properties/a/properties/b: required: missing properties: ["c"]`)
	f.Add(`validating "arguments": validating root: unexpected additional properties ["x", "y"]`)
	f.Fuzz(func(t *testing.T, text string) {
		d := schemaError("tool", text)
		if !strings.HasPrefix(d.Code, "validation.") || d.Message == "" {
			t.Fatalf("%q -> %+v", text, d)
		}
	})
}
