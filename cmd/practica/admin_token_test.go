package main

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/practica-social/practica/app"
	"github.com/practica-social/practica/config"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/testrig"
)

func TestAdminCreatesAccessTokens(t *testing.T) {
	env := map[string]string{"PRACTICA_DATA_DIR": t.TempDir()}
	if url := testrig.DatabaseURL(t); !strings.HasPrefix(url, "sqlite:") {
		env["PRACTICA_DATABASE_URL"] = url
	}
	if code, out, errs := runCLI(t, env, "admin", "user", "create", "--username", "ada", "--email", "ada@example.org"); code != 0 {
		t.Fatalf("user create: %d %q %q", code, out, errs)
	}
	tokenLine := regexp.MustCompile(`(?m)^token: (prt_[A-Za-z0-9_-]{43})$`)

	code, out, errs := runCLI(t, env, "admin", "token", "create", "--username", "@Ada", "--name", "ci bot", "--scopes", "read,write")
	m := tokenLine.FindStringSubmatch(out)
	if code != 0 || m == nil || !strings.Contains(out, `created token "ci bot" for @ada@localhost:8080 with scopes read,write`) {
		t.Fatalf("token create: %d %q %q", code, out, errs)
	}
	writer := m[1]
	code, out, _ = runCLI(t, env, "admin", "token", "create", "--username", "ada", "--name", "reader")
	m = tokenLine.FindStringSubmatch(out)
	if code != 0 || m == nil || !strings.Contains(out, "with scopes read\n") {
		t.Fatalf("default scopes: %d %q", code, out)
	}
	reader := m[1]

	// The printed tokens work, with the scopes asked for.
	cfg, err := config.Load(os.LookupEnv, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	inst, err := app.New(ctx, app.Options{Config: cfg, WithoutRedis: true})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	for tok, write := range map[string]bool{writer: true, reader: false} {
		got, err := inst.Service.AuthenticateToken(ctx, tok)
		if err != nil || got.Account.Actor.Username != "ada" || got.HasScope(models.ScopeWrite) != write || !got.HasScope(models.ScopeRead) {
			t.Fatalf("token %s…: %+v %v", tok[:8], got, err)
		}
	}

	// Mistakes are one clear line and exit 2.
	for _, args := range [][]string{
		{"admin", "token", "create", "--username", "ada"},
		{"admin", "token", "create", "--name", "x"},
		{"admin", "token", "create", "--username", "nobody", "--name", "x"},
		{"admin", "token", "create", "--username", "ada", "--name", "x", "--scopes", "admin"},
		{"admin", "token", "create", "--username", "ada", "--name", "x", "extra"},
		{"admin", "token", "revoke"},
	} {
		code, out, errs := runCLI(t, env, args...)
		if code != 2 || strings.Count(strings.TrimSpace(errs), "\n") != 0 || errs == "" || strings.Contains(out, "prt_") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
}
