package xemu

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"unicode/utf8"
)

// maxTextChars is the longest DM text X accepts: "Text messages support up
// to 10,000 characters"
// (https://developer.x.com/en/docs/x-api/direct-messages/manage/api-reference/post-dm_conversations-with-participant_id-messages,
// "JSON body parameters"). Characters are counted as code points.
const maxTextChars = 10000

// Group conversation bounds, from CreateDmConversationRequest in
// https://api.x.com/2/openapi.json (participant_ids: DmParticipants,
// minItems 2, maxItems 49; conversation_type enum ["Group"];
// additionalProperties false), also at
// https://docs.x.com/x-api/direct-messages/create-dm-conversation.
const (
	minGroupParticipants = 2
	maxGroupParticipants = 49
)

// bodyProblem is X's invalid-request answer to a JSON body that fails the
// operation's schema: the errors carry a message naming the JSON path and
// no parameters. The message wording follows the JSON-schema validator
// messages X answers ("$.field: …"); it is the emulator's rendering, as X
// documents only the invalid-request type
// (https://docs.x.com/x-api/fundamentals/response-codes-and-errors).
func bodyProblem(format string, args ...any) *problem {
	p := invalidRequest("", "", "")
	p.Errors = []paramError{{Message: fmt.Sprintf(format, args...)}}
	return &p
}

// readBody reads at most maxSendBody bytes of a request body.
func readBody(body io.Reader) ([]byte, *problem) {
	raw, err := io.ReadAll(io.LimitReader(body, maxSendBody+1))
	if err != nil || len(raw) > maxSendBody {
		p := invalidRequest("body", "", "The request body could not be read")
		return nil, &p
	}
	return raw, nil
}

// object decodes raw as a JSON object whose keys are all in allowed: X's
// request schemas are closed, so an unknown (or misspelt) property is
// refused rather than silently dropped.
func object(raw []byte, path string, allowed []string) (map[string]json.RawMessage, *problem) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		if !json.Valid(raw) {
			p := invalidRequest("body", "", "The request body is not valid JSON")
			return nil, &p
		}
		return nil, bodyProblem("%s: %s found, object expected", path, jsonKind(raw))
	}
	var unknown []string
	for k := range obj {
		if !slices.Contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, bodyProblem("%s.%s: is not defined in the schema and the schema does not allow additional properties", path, unknown[0])
	}
	return obj, nil
}

// jsonKind names the JSON type of a valid value, for schema messages.
func jsonKind(raw []byte) string {
	var v any
	_ = json.Unmarshal(raw, &v)
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "object"
}

// stringField decodes a string property.
func stringField(raw json.RawMessage, path string) (string, *problem) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", bodyProblem("%s: %s found, string expected", path, jsonKind(raw))
	}
	return s, nil
}

// parseMessage validates a message object — {"text", "attachments":
// [{"media_id"}]} — at path: at least one of the two, text of 1 to
// 10,000 characters, one attachment at most
// (https://docs.x.com/x-api/direct-messages/manage/integrate, "Message
// requirements" and "Media attachments"; CreateMessageRequest in
// https://api.x.com/2/openapi.json).
func parseMessage(raw []byte, path string) (text string, mediaIDs []string, p *problem) {
	obj, p := object(raw, path, []string{"attachments", "text"})
	if p != nil {
		return "", nil, p
	}
	if v, ok := obj["text"]; ok {
		if text, p = stringField(v, path+".text"); p != nil {
			return "", nil, p
		}
		if text == "" {
			return "", nil, bodyProblem("%s.text: must be at least 1 characters long", path)
		}
		if n := utf8.RuneCountInString(text); n > maxTextChars {
			return "", nil, bodyProblem("%s.text: may only be %d characters long, found %d", path, maxTextChars, n)
		}
	}
	if v, ok := obj["attachments"]; ok {
		var items []json.RawMessage
		if err := json.Unmarshal(v, &items); err != nil {
			return "", nil, bodyProblem("%s.attachments: %s found, array expected", path, jsonKind(v))
		}
		for i, it := range items {
			ip := path + ".attachments[" + strconv.Itoa(i) + "]"
			a, p := object(it, ip, []string{"media_id"})
			if p != nil {
				return "", nil, p
			}
			id, p := stringField(a["media_id"], ip+".media_id")
			if p != nil {
				return "", nil, p
			}
			if !isNumericID(id) {
				pr := invalidRequest("attachments.media_id", id, fmt.Sprintf("The `media_id` value [%s] is not valid", id))
				return "", nil, &pr
			}
			mediaIDs = append(mediaIDs, id)
		}
	}
	if text == "" && len(mediaIDs) == 0 {
		pr := invalidRequest("text", "", "One of `text` or `attachments` is required")
		return "", nil, &pr
	}
	if len(mediaIDs) > 1 {
		pr := invalidRequest("attachments", strconv.Itoa(len(mediaIDs)), "Only one attachment per message is supported")
		return "", nil, &pr
	}
	return text, mediaIDs, nil
}

// groupRequest is a parsed POST /2/dm_conversations body.
type groupRequest struct {
	participants []string
	text         string
	mediaIDs     []string
}

// parseGroup validates a POST /2/dm_conversations body:
// {"conversation_type": "Group", "participant_ids": [2–49 user ids],
// "message": {…}}, every property required, none other allowed.
func parseGroup(body io.Reader) (groupRequest, *problem) {
	var g groupRequest
	raw, p := readBody(body)
	if p != nil {
		return g, p
	}
	obj, p := object(raw, "$", []string{"conversation_type", "message", "participant_ids"})
	if p != nil {
		return g, p
	}
	for _, k := range []string{"conversation_type", "message", "participant_ids"} {
		if _, ok := obj[k]; !ok {
			return g, bodyProblem("$.%s: is missing but it is required", k)
		}
	}
	ct, p := stringField(obj["conversation_type"], "$.conversation_type")
	if p != nil {
		return g, p
	}
	if ct != "Group" { // case sensitive, per the integrate guide
		return g, bodyProblem("$.conversation_type: does not have a value in the enumeration [Group]")
	}
	var ids []json.RawMessage
	if err := json.Unmarshal(obj["participant_ids"], &ids); err != nil {
		return g, bodyProblem("$.participant_ids: %s found, array expected", jsonKind(obj["participant_ids"]))
	}
	if len(ids) < minGroupParticipants || len(ids) > maxGroupParticipants {
		return g, bodyProblem("$.participant_ids: there must be between %d and %d items in the array, found %d", minGroupParticipants, maxGroupParticipants, len(ids))
	}
	for i, r := range ids {
		path := "$.participant_ids[" + strconv.Itoa(i) + "]"
		id, p := stringField(r, path)
		if p != nil {
			return g, p
		}
		if !isNumericID(id) {
			return g, bodyProblem("%s: does not match the regex pattern ^[0-9]{1,19}$", path)
		}
		if slices.Contains(g.participants, id) {
			return g, bodyProblem("$.participant_ids: the items in the array must be unique")
		}
		g.participants = append(g.participants, id)
	}
	g.text, g.mediaIDs, p = parseMessage(obj["message"], "$.message")
	return g, p
}
