package mcpserver

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/parleyhq/parley/client"
)

// RunStdio serves MCP over newline-delimited JSON-RPC on in and out (a
// desktop agent's pipe to `parley mcp`) until the client disconnects or ctx
// ends. Nothing else may write to out: logs belong on stderr.
func RunStdio(ctx context.Context, b Backend, in io.Reader, out io.Writer, opts *Options) error {
	t := &mcp.IOTransport{Reader: nopReadCloser{in}, Writer: nopWriteCloser{out}}
	err := NewServer(b, opts).Run(ctx, t)
	if errors.Is(err, io.EOF) || errors.Is(err, context.Canceled) {
		return nil // the client hung up, or the process is stopping
	}
	return err
}

// RemoteFromEnv returns the remote backend `parley mcp` uses: the REST API
// at PARLEY_URL with the key in PARLEY_API_KEY.
func RemoteFromEnv(userAgent string) (*client.Client, error) {
	url := os.Getenv("PARLEY_URL")
	if url == "" {
		return nil, errors.New("set PARLEY_URL to your Parley server (e.g. http://127.0.0.1:8080) and PARLEY_API_KEY to an API key")
	}
	key := os.Getenv("PARLEY_API_KEY")
	if key == "" {
		return nil, errors.New("set PARLEY_API_KEY to an API key (sapi_key_…); create one with `parley keys create` or POST /v1/api-keys")
	}
	return client.New(url, key, client.Options{UserAgent: userAgent})
}

// The SDK closes its transport's streams when the session ends; the
// caller's stdin and stdout are not ours to close.
type nopReadCloser struct{ io.Reader }

func (nopReadCloser) Close() error { return nil }

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
