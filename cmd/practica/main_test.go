package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/practica-social/practica/testrig"
)

// runCLI runs the command line with a clean PRACTICA_* environment.
func runCLI(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "PRACTICA_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestInvalidConfigurationStopsWithOneClearLine(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		env     map[string]string
		setting string
	}{
		{map[string]string{"PRACTICA_DATABASE_URL": "mysql://x"}, "PRACTICA_DATABASE_URL"},
		{map[string]string{"PRACTICA_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"}, "PRACTICA_DATABASE_URL"},
		{map[string]string{"PRACTICA_REDIS_URL": "redis://127.0.0.1:1/0", "PRACTICA_DATA_DIR": dir}, "PRACTICA_REDIS_URL"},
		{map[string]string{"PRACTICA_REDIS_URL": "http://x"}, "PRACTICA_REDIS_URL"},
		{map[string]string{"PRACTICA_DOMAIN": "exa mple.org"}, "PRACTICA_DOMAIN"},
		{map[string]string{"PRACTICA_DOMAIN": "https://example.org/"}, "PRACTICA_DOMAIN"},
		{map[string]string{"PRACTICA_PROTOCOL": "gopher"}, "PRACTICA_PROTOCOL"},
		{map[string]string{"PRACTICA_ALLOW_PRIVATE_ADDRESSES": "10.0.0.0/99"}, "PRACTICA_ALLOW_PRIVATE_ADDRESSES"},
		{map[string]string{"PRACTICA_LISTEN": "nowhere"}, "PRACTICA_LISTEN"},
	}
	for _, c := range cases {
		args := []string{"serve"}
		if c.setting == "PRACTICA_DATABASE_URL" || c.setting == "PRACTICA_REDIS_URL" {
			args = []string{"worker"}
			if c.setting == "PRACTICA_DATABASE_URL" {
				args = []string{"migrate"}
			}
		}
		code, _, stderr := runCLI(t, c.env, args...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if code != 2 || len(lines) != 1 || !strings.Contains(lines[0], c.setting) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line naming %s", c.env, code, stderr, c.setting)
		}
		if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
			t.Errorf("%v: stack trace in %q", c.env, stderr)
		}
	}
}

func TestAdminCreatesUsersAndCommunities(t *testing.T) {
	env := map[string]string{"PRACTICA_DATA_DIR": t.TempDir()}
	if url := testrig.DatabaseURL(t); !strings.HasPrefix(url, "sqlite:") {
		env["PRACTICA_DATABASE_URL"] = url
	}
	code, out, errs := runCLI(t, env, "admin", "user", "create", "--admin", "--username", "Ada", "--email", "ada@example.org")
	if code != 0 || !strings.Contains(out, "created admin @ada@localhost:8080") || !strings.Contains(out, "password: ") {
		t.Fatalf("user create: %d %q %q", code, out, errs)
	}
	code, out, errs = runCLI(t, env, "admin", "community", "create", "--handle", "ops", "--name", "Operations", "--topics", "on-call, incidents", "--owner", "ada", "--join", "approval")
	if code != 0 || !strings.Contains(out, "created community @ops@localhost:8080 at http://localhost:8080/c/ops") {
		t.Fatalf("community create: %d %q %q", code, out, errs)
	}
	// Mistakes are one clear line and exit 2.
	for _, args := range [][]string{
		{"admin", "user", "create", "--username", "ada", "--email", "other@example.org"},
		{"admin", "community", "create", "--handle", "bad handle"},
		{"admin", "community", "create", "--handle", "x", "--visibility", "secret"},
		{"admin", "user", "create", "--username", "bob"},
		{"admin", "frobnicate"},
	} {
		code, _, errs := runCLI(t, env, args...)
		if code != 2 || strings.Count(strings.TrimSpace(errs), "\n") != 0 || errs == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
	code, out, _ = runCLI(t, env, "migrate")
	if code != 0 || !strings.Contains(out, "schema version") {
		t.Errorf("migrate: %d %q", code, out)
	}
}

func TestServeStartsAndGreets(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	env := map[string]string{"PRACTICA_DATA_DIR": filepath.Join(t.TempDir(), "data"), "PRACTICA_LISTEN": addr}
	for k, v := range env {
		t.Setenv(k, v)
	}
	var out, errb testrig.SyncBuffer
	done := make(chan int, 1)
	go func() { done <- run([]string{"serve"}, &out, &errb) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve never became ready: %s %s", out.String(), errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	for !strings.Contains(out.String(), "Stop with Ctrl-C") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	greeting := out.String()
	if !strings.Contains(greeting, "http://localhost:"+port) || !strings.Contains(greeting, "admin user create --admin") {
		t.Errorf("greeting lacks the URL or the first-admin hint: %q", greeting)
	}
	p, _ := os.FindProcess(os.Getpid())
	_ = p.Signal(os.Interrupt)
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited %d: %s", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop on interrupt")
	}
	_ = context.Background()
}
