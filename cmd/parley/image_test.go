package main

import (
	"bufio"
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/client"
)

// dockerBuild is the Dockerfile's `go build` step: the variables set
// before it and its arguments, with ${VERSION} as the build's default.
func dockerBuild(t *testing.T) (env, args []string) {
	t.Helper()
	f, err := os.Open("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var directives []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			directives = append(directives, line)
		}
		before, after, ok := strings.Cut(line, " go build ")
		if !ok || !strings.HasPrefix(before, "RUN ") {
			continue
		}
		env = strings.Fields(strings.TrimPrefix(before, "RUN "))
		args = shellWords(strings.ReplaceAll(after, "${VERSION}", "dev"))
	}
	if len(args) == 0 {
		t.Fatal("the Dockerfile has no RUN … go build step")
	}
	// What the image promises an operator, checked where it is written.
	doc := strings.Join(directives, "\n")
	for _, want := range []string{"CGO_ENABLED=0", "FROM gcr.io/distroless/static", "USER 65532:65532", `VOLUME ["/data"]`,
		"PARLEY_DATA_DIR=/data", "HEALTHCHECK", `CMD ["/usr/local/bin/parley", "healthcheck"]`, `CMD ["serve"]`} {
		if !strings.Contains(doc, want) {
			t.Errorf("the Dockerfile lacks %q", want)
		}
	}
	return env, args
}

// shellWords splits a command line as sh does for the quoting the
// Dockerfile uses (double quotes, no escapes).
func shellWords(s string) []string {
	var out []string
	var cur strings.Builder
	quoted, inWord := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, inWord = !quoted, true
		case (r == ' ' || r == '\t') && !quoted:
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out
}

// TestImageBinary builds the binary the Dockerfile builds (static,
// CGO_ENABLED=0, the same flags), checks that it links nothing
// dynamically, and runs it as the image does: `serve` on SQLite in a data
// directory, ready on /readyz, the health check command passing, one API
// call through the Go SDK, and a clean stop on SIGTERM.
func TestImageBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a real server")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the image is linux")
	}
	env, args := dockerBuild(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "parley")
	for i, a := range args {
		if a == "-o" && i+2 < len(args) {
			args[i+1], args[i+2] = bin, "."
		}
	}
	build := exec.Command("go", append([]string{"build"}, args...)...)
	build.Env = append(os.Environ(), env...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build %v: %v\n%s", args, err, out)
	}
	ef, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	libs, _ := ef.ImportedLibraries()
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the binary asks for a dynamic loader: it would not start on distroless/static")
		}
	}
	ef.Close()
	if len(libs) > 0 {
		t.Errorf("the binary links %v dynamically", libs)
	}

	// The container's environment: nothing but what the image and the
	// operator set.
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	base := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "PARLEY_DATA_DIR=" + data, "PARLEY_LOG_LEVEL=warn"}
	run := func(env []string, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("parley %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	ring := run(base, "secrets", "generate")
	base = append(base, "PARLEY_SECRET_KEYS="+ring)
	words := strings.Fields(run(base, "keys", "create", "--org", "Image"))
	key := words[len(words)-1]
	addr := freePort(t)
	port := addr[strings.LastIndex(addr, ":")+1:]
	// As in the image: listening on every address.
	srvEnv := append(base, "PARLEY_LISTEN=0.0.0.0:"+port)
	p := start(t, bin, srvEnv, "serve")
	stopped := false
	defer func() {
		if !stopped {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
	}()
	url := "http://127.0.0.1:" + port
	waitReady(t, url, p)
	run(srvEnv, "healthcheck")
	if _, err := os.Stat(filepath.Join(data, "parley.db")); err != nil {
		entries, _ := os.ReadDir(data)
		t.Errorf("no SQLite database in the data volume: %v (it holds %v)", err, entries)
	}

	c, err := client.New(url, key, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := c.CreateBrand(ctx, apitype.BrandInput{Name: "Containerised"})
	if err != nil || !strings.HasPrefix(b.ID, "brand_") {
		t.Fatalf("create brand through the image's binary: %+v %v", b, err)
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		stopped = true
		if err != nil {
			t.Errorf("serve exited with %v on SIGTERM; log:\n%s", err, p.log)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("serve still running 30 s after SIGTERM; log:\n%s", p.log)
	}
	// Down: the health check now fails, as the container engine would see.
	hc := exec.Command(bin, "healthcheck")
	hc.Env = srvEnv
	if out, err := hc.CombinedOutput(); err == nil {
		t.Errorf("healthcheck passed with the server stopped: %s", out)
	}
}
