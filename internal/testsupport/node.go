package testsupport

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// NodeHarness returns test/<name>, a Node.js harness of official client
// libraries, with its lock file installed (npm ci, once, when pkg is not
// yet in node_modules), and the node binary. Test packages running in
// parallel take turns installing. Without node or npm it skips, except in
// CI, where it fails.
func NodeHarness(t testing.TB, name, pkg string) (dir, node string) {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("testsupport: cannot locate the harnesses")
	}
	dir = filepath.Join(filepath.Dir(file), "..", "..", "test", name)
	node, npm := nodeTool(t, "node", name), nodeTool(t, "npm", name)
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "parley-"+name+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) }()
	if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg)); err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			if !CI() {
				t.Skipf("npm ci in %s failed (offline?): %v\n%s", dir, err, out)
			}
			t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
		}
	}
	return dir, node
}

func nodeTool(t testing.TB, tool, harness string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		if CI() {
			t.Fatalf("in CI but %s is missing: the %s checks must run in CI", tool, harness)
		}
		t.Skipf("%s is needed for the %s checks", tool, harness)
	}
	return p
}
