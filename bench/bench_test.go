package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/practica-social/practica/bench"
	"github.com/practica-social/practica/testrig"
)

// TestMain lets this test binary stand in for `practica`: the benchmark
// runs each case, and the simulated remote instances, in child processes
// of its own executable as `<exe> bench …`.
func TestMain(m *testing.M) {
	if os.Getenv(bench.EnvChild) == "1" && len(os.Args) > 1 && os.Args[1] == "bench" {
		os.Exit(bench.Main(context.Background(), os.Args[2:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestQuickRunsEveryCase runs `practica bench --quick` for every case and
// checks that each figure comes as a JSON line with a positive value. It
// asserts nothing about speed.
func TestQuickRunsEveryCase(t *testing.T) {
	if testing.Short() {
		t.Skip("runs instances in child processes")
	}
	args := []string{"--quick", "--out", t.TempDir()}
	if u := os.Getenv(testrig.EnvDatabaseURL); u != "" {
		args = append(args, "--database-url", u)
	}
	if u := os.Getenv(testrig.EnvRedisURL); u != "" {
		args = append(args, "--redis-url", u)
	}
	var stdout, stderr bytes.Buffer
	if code := bench.Main(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	seen := map[string]bool{}
	lines := 0
	for line := range strings.SplitSeq(stdout.String(), "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		lines++
		var m struct {
			Case  string   `json:"case"`
			Value *float64 `json:"value"`
			Unit  string   `json:"unit"`
			Ratio *float64 `json:"ratio"`
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("line %q: %v", line, err)
			continue
		}
		if m.Case == "" || m.Unit == "" || m.Value == nil || *m.Value <= 0 {
			t.Errorf("line %q: want a case, a unit and a positive value", line)
		}
		if m.Ratio != nil && *m.Ratio <= 0 {
			t.Errorf("line %q: non-positive ratio", line)
		}
		seen[m.Case] = true
	}
	for _, c := range append([]string{"C_sign", "C_verify"}, bench.Cases...) {
		if !seen[c] {
			t.Errorf("no JSON line for case %s", c)
		}
	}
	if t.Failed() {
		t.Logf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	if _, err := os.Stat(args[2] + "/fanout.svg"); err != nil {
		t.Errorf("no fan-out plot: %v", err)
	}
	if _, err := os.Stat(args[2] + "/deadhosts.svg"); err != nil {
		t.Errorf("no dead-hosts plot: %v", err)
	}
}
