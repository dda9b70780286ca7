// Package bench is `practica bench`: it measures a real instance — built
// by app.New on Postgres and Redis (or SQLite and the embedded Redis), its
// workers started by StartWorkers — against simulated remote instances on
// loopback, and prints each figure beside its ceiling: C_sign and C_verify
// (the cost of signing and of verifying one delivery), re-measured in the
// same run, and the loopback HTTP ceiling.
//
// Each case runs in a child process of the same binary, so that its peak
// RSS and CPU time are its own; the simulated remote instances and the
// load generators run in a grandchild (`--remote`), so that the case's CPU
// time is the instance's alone. Cases: fanout, fanout-50k, deadhosts,
// inbox, latency, reads. See docs/BENCHMARKS.md.
package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/practica-social/practica/federation/signing"
)

// EnvChild marks a child process of the benchmark. A test binary, which
// has no `bench` command, runs Main when it is set (see bench_test.go).
const EnvChild = "PRACTICA_BENCH_CHILD"

// Cases lists the cases in the order a full run takes them.
var Cases = []string{"fanout", "fanout-50k", "deadhosts", "inbox", "latency", "reads"}

// Options are the command line of `practica bench`.
type Options struct {
	Quick       bool
	DatabaseURL string
	RedisURL    string
	Out         string
	CPUProfile  string
	Cases       []string

	child    string
	remote   bool
	ceilings string
	stderr   io.Writer
}

const usage = `Usage: practica bench [--quick] [--database-url postgres://…] [--redis-url redis://…]
                      [--out DIR] [--cpuprofile FILE] [case …]

Cases: fanout fanout-50k deadhosts inbox latency reads (default: all).
Without --database-url and --redis-url the instance runs on SQLite and the
embedded Redis; the targets are for Postgres and Redis. Each case prints a
line for people and a JSON line per figure; plots go to --out (default
docs/bench). --cpuprofile FILE writes FILE.<case> for each case's measured
part. --quick runs small sizes, for smoke tests.
`

// Main runs `practica bench` with args (after "bench") and returns the
// exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "practica bench:", err)
		fmt.Fprint(stderr, usage)
		return 2
	}
	o.stderr = stderr
	switch {
	case o.remote:
		err = runRemote(os.Stdin, stdout)
	case o.child != "":
		err = runChild(ctx, o, stdout)
	default:
		err = runParent(ctx, o, stdout, stderr)
	}
	if err != nil {
		fmt.Fprintln(stderr, "practica bench:", err)
		return 1
	}
	return 0
}

func parseArgs(args []string) (Options, error) {
	var o Options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&o.Quick, "quick", false, "small sizes")
	fs.StringVar(&o.DatabaseURL, "database-url", "", "Postgres URL (a schema is created and dropped)")
	fs.StringVar(&o.RedisURL, "redis-url", "", "Redis URL (a queue prefix is used and removed)")
	fs.StringVar(&o.Out, "out", filepath.Join("docs", "bench"), "directory for plots and results")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "CPU profile file prefix")
	fs.StringVar(&o.child, "child", "", "internal: run one case")
	fs.BoolVar(&o.remote, "remote", false, "internal: run the remote side")
	fs.StringVar(&o.ceilings, "ceilings", "", "internal: measured ceilings (JSON)")
	// Flags and case names may be mixed.
	for {
		if err := fs.Parse(args); err != nil {
			return o, err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		o.Cases = append(o.Cases, args[0])
		args = args[1:]
	}
	for _, c := range o.Cases {
		if !slices.Contains(Cases, c) {
			return o, fmt.Errorf("unknown case %q", c)
		}
	}
	if o.DatabaseURL != "" && !strings.HasPrefix(o.DatabaseURL, "postgres://") && !strings.HasPrefix(o.DatabaseURL, "postgresql://") {
		return o, errors.New("--database-url must be a postgres:// URL")
	}
	if len(o.Cases) == 0 {
		o.Cases = slices.Clone(Cases)
	}
	return o, nil
}

// runParent measures the ceilings, runs each case in a child process and
// relays its lines, and writes every figure to <out>/results.jsonl.
func runParent(ctx context.Context, o Options, stdout, stderr io.Writer) error {
	backend := "Postgres + Redis"
	switch {
	case o.DatabaseURL == "" && o.RedisURL == "":
		backend = "SQLite + embedded Redis"
	case o.DatabaseURL == "":
		backend = "SQLite + Redis"
	case o.RedisURL == "":
		backend = "Postgres + embedded Redis"
	}
	size := "full"
	if o.Quick {
		size = "quick"
	}
	fmt.Fprintf(stdout, "# practica bench (%s sizes) on %s; GOMAXPROCS %d, %s; load average %s\n",
		size, backend, runtime.GOMAXPROCS(0), runtime.Version(), loadAverage())
	if o.DatabaseURL == "" || o.RedisURL == "" {
		fmt.Fprintln(stderr, "warning: the targets are for Postgres and a real Redis; pass --database-url and --redis-url to measure them")
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	priv, _, err := signing.GenerateKey()
	if err != nil {
		return err
	}
	key, err := signing.ParsePrivateKey(priv)
	if err != nil {
		return err
	}
	d := 2 * time.Second
	if o.Quick {
		d = 100 * time.Millisecond
	}
	c, err := measureCeilings(key, d)
	if err != nil {
		return err
	}
	var results []string
	for _, m := range []*Metric{
		{Case: "C_sign", Value: c.SignMicros, Unit: "µs CPU per signing",
			Label:  fmt.Sprintf("%.0f signatures/s on %d cores", c.SignPerSec, c.Procs),
			Detail: map[string]any{"per_s_all_cores": round(c.SignPerSec), "procs": c.Procs}},
		{Case: "C_verify", Value: c.VerifyMicros, Unit: "µs CPU per verification",
			Label:  fmt.Sprintf("%.0f verifications/s on %d cores", c.VerifyPerSec, c.Procs),
			Detail: map[string]any{"per_s_all_cores": round(c.VerifyPerSec), "procs": c.Procs}},
	} {
		var b strings.Builder
		m.print(&b)
		fmt.Fprint(stdout, b.String())
		results = append(results, lastLine(b.String()))
	}
	ceil, _ := json.Marshal(c)
	var failed []string
	for _, name := range o.Cases {
		args := []string{"--child", name, "--ceilings", string(ceil), "--out", o.Out}
		if o.Quick {
			args = append(args, "--quick")
		}
		if o.DatabaseURL != "" {
			args = append(args, "--database-url", o.DatabaseURL)
		}
		if o.RedisURL != "" {
			args = append(args, "--redis-url", o.RedisURL)
		}
		if o.CPUProfile != "" {
			args = append(args, "--cpuprofile", o.CPUProfile)
		}
		fmt.Fprintf(stderr, "case %s (load average %s)\n", name, loadAverage())
		lines, err := runCase(ctx, args, stdout, stderr)
		results = append(results, lines...)
		if err != nil {
			fmt.Fprintf(stderr, "case %s failed: %v\n", name, err)
			failed = append(failed, name)
		}
	}
	if err := os.WriteFile(filepath.Join(o.Out, "results.jsonl"), []byte(strings.Join(results, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	if len(failed) > 0 {
		return fmt.Errorf("cases failed: %s", strings.Join(failed, ", "))
	}
	return nil
}

// runCase runs one case's child, copies its output and returns its JSON
// lines.
func runCase(ctx context.Context, args []string, stdout, stderr io.Writer) ([]string, error) {
	cmd, err := selfCommand(args...)
	if err != nil {
		return nil, err
	}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { _ = cmd.Process.Signal(os.Interrupt) })
	defer stop()
	var lines []string
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(stdout, line)
		if strings.HasPrefix(line, "{") {
			lines = append(lines, line)
		}
	}
	return lines, cmd.Wait()
}

// runChild runs one case.
func runChild(ctx context.Context, o Options, stdout io.Writer) error {
	f, ok := cases[o.child]
	if !ok {
		return fmt.Errorf("unknown case %q", o.child)
	}
	raiseFileLimit()
	r := &runner{o: o, name: o.child, sz: sizesFor(o.Quick)}
	d := time.Second
	if o.Quick {
		d = 100 * time.Millisecond
	}
	var err error
	if r.rates, err = newRates(d); err != nil {
		return err
	}
	if o.ceilings != "" {
		if err := json.Unmarshal([]byte(o.ceilings), &r.c); err != nil {
			return fmt.Errorf("--ceilings: %w", err)
		}
	} else {
		priv, _, err := signing.GenerateKey()
		if err != nil {
			return err
		}
		key, err := signing.ParsePrivateKey(priv)
		if err != nil {
			return err
		}
		if r.c, err = measureCeilings(key, 500*time.Millisecond); err != nil {
			return err
		}
	}
	defer func() {
		if r.e != nil {
			r.e.close()
		}
	}()
	ms, err := f(ctx, r)
	if err != nil {
		return err
	}
	for _, m := range ms {
		m.print(stdout)
	}
	return nil
}

// loadAverage is the first three fields of /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
