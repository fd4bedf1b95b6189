package mcpserver_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/parleyhq/parley/client"
	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/mcpserver"
	"github.com/parleyhq/parley/internal/platform"
	"github.com/parleyhq/parley/internal/server"
	"github.com/parleyhq/parley/internal/service"
	"github.com/parleyhq/parley/internal/store/storetest"
	"github.com/parleyhq/parley/internal/testsupport/parleytest"
)

// env is a running Parley (REST at /v1, MCP at /mcp) over real loopback
// HTTP on one storage backend. Tests that reach a platform use newLiveEnv,
// which points the real adapters at the platform emulators.
type env struct {
	t   *testing.T
	srv *server.Server
	url string
}

// newEnv runs Parley with no platform adapters at all, so a test that needs
// no platform can never reach a real one.
func newEnv(t *testing.T, b storetest.Backend) *env {
	t.Helper()
	return newEnvWith(t, b, config.Config{}, platform.Registry{})
}

// newEnvWith runs Parley with cfg over the backend's database; nil adapters
// means those server.New builds from cfg (the emulators' URLs, say). The
// server mounts /mcp itself, as in production.
func newEnvWith(t *testing.T, b storetest.Backend, cfg config.Config, reg platform.Registry) *env {
	t.Helper()
	s := parleytest.Start(t, b, cfg, "", server.Options{Adapters: reg})
	return &env{t: t, srv: s.Server, url: s.URL}
}

// org creates an organisation and returns its API key.
func (e *env) org(name string) string {
	e.t.Helper()
	_, k, err := e.srv.Service.Bootstrap(context.Background(), name, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return k.Secret
}

func (e *env) caller(key string) service.Caller {
	e.t.Helper()
	c, err := e.srv.Service.Authenticate(context.Background(), "Bearer "+key)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// rest calls the REST API and returns the status and the decoded body.
func (e *env) rest(method, path, key string) (int, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	raw, _ := io.ReadAll(res.Body)
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &body); err != nil {
			e.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	return res.StatusCode, body
}

// transport connects an MCP client session for an API key.
type transport struct {
	name    string
	connect func(t *testing.T, e *env, key string) (*mcp.ClientSession, error)
}

// transports are the two ways an agent reaches Parley: Streamable HTTP to
// /mcp (in-process backend), and stdio to `parley mcp` (remote backend
// calling the REST API).
var transports = []transport{
	{"http", connectHTTP},
	{"stdio", connectStdio},
}

type bearer struct {
	key  string
	next http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if b.key != "" {
		r.Header.Set("Authorization", "Bearer "+b.key)
	}
	return b.next.RoundTrip(r)
}

func newClient() *mcp.Client {
	return mcp.NewClient(&mcp.Implementation{Name: "parley-test", Version: "1"}, nil)
}

func connectHTTP(t *testing.T, e *env, key string) (*mcp.ClientSession, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tr := &mcp.StreamableClientTransport{Endpoint: e.url + "/mcp", MaxRetries: -1, DisableStandaloneSSE: true,
		HTTPClient: &http.Client{Transport: bearer{key, http.DefaultTransport}}}
	cs, err := newClient().Connect(ctx, tr, nil)
	if err == nil {
		t.Cleanup(func() { cs.Close() })
	}
	return cs, err
}

func connectStdio(t *testing.T, e *env, key string) (*mcp.ClientSession, error) {
	t.Helper()
	// No retries: both transports must answer a platform's one failure
	// with the same tool error (the SDK's retries have tests of their own).
	rc, err := client.New(e.url, key, client.Options{UserAgent: "parley-mcp-test", MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	// Two pipes stand in for the agent's pipe to `parley mcp`.
	toServer, fromClient := io.Pipe()
	toClient, fromServer := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := mcpserver.RunStdio(ctx, rc, toServer, fromServer, nil); err != nil {
			t.Errorf("RunStdio: %v", err)
		}
		fromServer.Close()
	}()
	cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer ccancel()
	cs, err := newClient().Connect(cctx, &mcp.IOTransport{Reader: toClient, Writer: fromClient}, nil)
	t.Cleanup(func() {
		if cs != nil {
			cs.Close()
		}
		fromClient.Close()
		cancel()
		wg.Wait()
	})
	return cs, err
}

// eachEnv runs fn for every transport and storage backend, each with a
// fresh database; fn builds its env with the adapters it needs.
func eachEnv(t *testing.T, fn func(t *testing.T, tr transport, b storetest.Backend)) {
	t.Helper()
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			storetest.EachBackend(t, func(t *testing.T, b storetest.Backend) { fn(t, tr, b) })
		})
	}
}

func mustConnect(t *testing.T, e *env, tr transport, key string) *mcp.ClientSession {
	t.Helper()
	cs, err := tr.connect(t, e, key)
	if err != nil {
		t.Fatalf("%s connect: %v", tr.name, err)
	}
	return cs
}

// call calls a tool and returns the result, failing on protocol errors.
func call(t *testing.T, cs *mcp.ClientSession, tool string, args any) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: protocol error: %v", tool, err)
	}
	return res
}

// ok asserts success and returns the structured content as generic JSON,
// checking the text content carries the same JSON.
func ok(t *testing.T, res *mcp.CallToolResult) map[string]any {
	t.Helper()
	if res.IsError {
		t.Fatalf("tool error: %s", text(res))
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	var sc, tc map[string]any
	if err := json.Unmarshal(b, &sc); err != nil {
		t.Fatalf("structured content %s: %v", b, err)
	}
	if err := json.Unmarshal([]byte(text(res)), &tc); err != nil {
		t.Fatalf("text content is not JSON: %q", text(res))
	}
	if !jsonEqual(sc, tc) {
		t.Fatalf("text content %s differs from structured content %s", text(res), b)
	}
	return sc
}

// toolErr asserts a tool error in the REST envelope and returns its detail.
func toolErr(t *testing.T, res *mcp.CallToolResult, code string) client.ErrorDetail {
	t.Helper()
	if !res.IsError {
		t.Fatalf("want tool error %s, got success: %s", code, text(res))
	}
	if res.StructuredContent != nil {
		t.Errorf("error result has structured content %v", res.StructuredContent)
	}
	var body client.ErrorBody
	if err := json.Unmarshal([]byte(text(res)), &body); err != nil {
		t.Fatalf("error content is not the REST error envelope: %q", text(res))
	}
	if body.Error.Code != code || body.Error.Message == "" {
		t.Fatalf("error %q (%s), want %q", body.Error.Code, body.Error.Message, code)
	}
	return body.Error
}

func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func jsonEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}
