package xemu

import (
	"encoding/base32"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Wire shapes. Field names and nesting follow the examples at
// https://docs.x.com/x-api/direct-messages/lookup/integrate (DM event
// objects, includes via expansions) and
// https://docs.x.com/x-api/direct-messages/manage/introduction (send response).

type wireEvent struct {
	ID               string           `json:"id"`
	EventType        string           `json:"event_type"`
	Text             string           `json:"text,omitempty"`
	SenderID         string           `json:"sender_id,omitempty"`
	ParticipantIDs   []string         `json:"participant_ids,omitempty"`
	DMConversationID string           `json:"dm_conversation_id,omitempty"`
	CreatedAt        string           `json:"created_at,omitempty"`
	Attachments      *wireAttachments `json:"attachments,omitempty"`
}

type wireAttachments struct {
	MediaKeys []string `json:"media_keys"`
}

type wireUser struct {
	ID              string  `json:"id"`
	Name            string  `json:"name"`
	Username        string  `json:"username"`
	CreatedAt       string  `json:"created_at,omitempty"`
	Description     *string `json:"description,omitempty"`
	ProfileImageURL string  `json:"profile_image_url,omitempty"`
	Protected       *bool   `json:"protected,omitempty"`
	Verified        *bool   `json:"verified,omitempty"`
}

type wireMedia struct {
	MediaKey string `json:"media_key"`
	Type     string `json:"type"`
	URL      string `json:"url,omitempty"`
}

type wireIncludes struct {
	Users []wireUser  `json:"users,omitempty"`
	Media []wireMedia `json:"media,omitempty"`
}

type wireMeta struct {
	ResultCount   int    `json:"result_count"`
	NextToken     string `json:"next_token,omitempty"`
	PreviousToken string `json:"previous_token,omitempty"`
}

type listResponse struct {
	Data     []wireEvent   `json:"data,omitempty"`
	Includes *wireIncludes `json:"includes,omitempty"`
	Meta     wireMeta      `json:"meta"`
}

type sendResponse struct {
	Data struct {
		DMConversationID string `json:"dm_conversation_id"`
		DMEventID        string `json:"dm_event_id"`
	} `json:"data"`
}

type usersResponse struct {
	Data   []wireUser      `json:"data,omitempty"`
	Errors []resourceError `json:"errors,omitempty"`
}

// resourceError is a partial-error item of a 200 response
// (https://docs.x.com/x-api/fundamentals/response-codes-and-errors, "Partial errors").
type resourceError struct {
	Value        string `json:"value"`
	Detail       string `json:"detail"`
	Title        string `json:"title"`
	ResourceType string `json:"resource_type"`
	Parameter    string `json:"parameter"`
	ResourceID   string `json:"resource_id"`
	Type         string `json:"type"`
}

// problem is X's v2 error body: problem-details fields (type, title, detail,
// status) and, for invalid requests, an errors array naming the parameters
// (https://docs.x.com/x-api/fundamentals/response-codes-and-errors, "Error
// response format" and "Error types").
type problem struct {
	Errors []paramError `json:"errors,omitempty"`
	Title  string       `json:"title"`
	Detail string       `json:"detail"`
	Type   string       `json:"type"`
	Status int          `json:"status,omitempty"`
}

type paramError struct {
	Parameters map[string][]string `json:"parameters,omitempty"`
	Message    string              `json:"message"`
}

// legacyError is the {"errors":[{code,message}]} body X still answers for
// paths it does not know (code 34, "Sorry, that page does not exist").
type legacyError struct {
	Errors []struct {
		Message string `json:"message"`
		Code    int    `json:"code"`
	} `json:"errors"`
}

const problemBase = "https://api.twitter.com/2/problems/"

// Error is one X API v2 error answer: the HTTP status and the problem body
// {"title","detail","type","status"}
// (https://docs.x.com/x-api/fundamentals/response-codes-and-errors). It is
// what FailNext injects.
type Error struct {
	Status int
	Title  string
	Detail string
	Type   string
}

// StatusError is X's about:blank answer for status, e.g. 429 Too Many
// Requests or 503 Service Unavailable.
func StatusError(status int) Error {
	p := genericProblem(status)
	return Error{Status: status, Title: p.Title, Detail: p.Detail, Type: p.Type}
}

func (e Error) problem() problem {
	return problem{Title: e.Title, Detail: e.Detail, Type: e.Type, Status: e.Status}
}

// genericProblem is the about:blank body X v2 answers for auth, throttling
// and server errors, e.g. {"title":"Unauthorized","type":"about:blank",
// "status":401,"detail":"Unauthorized"}.
func genericProblem(status int) problem {
	t := http.StatusText(status)
	return problem{Title: t, Detail: t, Type: "about:blank", Status: status}
}

// invalidRequest is the 400 body for bad parameters.
func invalidRequest(param, value, message string) problem {
	return problem{
		Errors: []paramError{{Parameters: map[string][]string{param: {value}}, Message: message}},
		Title:  "Invalid Request",
		Detail: "One or more parameters to your request was invalid.",
		Type:   problemBase + "invalid-request",
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeJSONFlushed writes v with its length and flushes it, so the client
// has the whole answer while the handler goes on (to post the webhook X
// sends after the API call, not before it answers).
func writeJSONFlushed(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	b = append(b, '\n')
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
	_ = http.NewResponseController(w).Flush()
}

func writeProblem(w http.ResponseWriter, status int, p problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}

// xTime renders times as X does: RFC 3339 in UTC with milliseconds
// ("2022-10-19T20:58:00.000Z").
func xTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// Pagination tokens are opaque to clients ("should not be modified",
// https://docs.x.com/x-api/direct-messages/lookup/quickstart). Ours encode a
// direction and the event id the page starts after, so paging stays stable
// while new events arrive.
var tokenEncoding = base32.HexEncoding.WithPadding(base32.NoPadding)

func encodeToken(dir byte, eventID string) string {
	return tokenEncoding.EncodeToString([]byte(string(dir) + eventID))
}

// decodeToken parses a pagination token into its direction ('n' next, 'p'
// previous) and event id.
func decodeToken(tok string) (dir byte, eventID string, ok bool) {
	up := strings.ToUpper(tok)
	raw, err := tokenEncoding.DecodeString(up)
	// Only canonical encodings are ours: base32 tolerates stray low bits.
	if err != nil || len(raw) < 2 || tokenEncoding.EncodeToString(raw) != up {
		return 0, "", false
	}
	dir, id := raw[0], string(raw[1:])
	if (dir != 'n' && dir != 'p') || !isNumericID(id) {
		return 0, "", false
	}
	if _, err := strconv.ParseUint(id, 10, 64); err != nil {
		return 0, "", false
	}
	return dir, id, true
}
