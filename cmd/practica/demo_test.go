package main

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/practica-social/practica/testrig"
)

// TestDemoFederatesTwoInstances runs `practica demo` on free ports and
// checks what it prints: both servers answer, the printed logins work,
// and a post made on the first server shows on the second's page of its
// community, having travelled over signed HTTP. Cancelling stops both.
func TestDemoFederatesTwoInstances(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out testrig.SyncBuffer
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	go func() { done <- runDemo(ctx, log, []string{"--ports", "0,0", "--data", dir, "--wait", "45s"}, &out) }()

	deadline := time.Now().Add(90 * time.Second)
	for !strings.Contains(out.String(), "Stop with Ctrl-C") {
		select {
		case err := <-done:
			t.Fatalf("demo ended early: %v\n%s", err, out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo never became ready:\n%s", out.String())
		}
	}
	printed := out.String()
	if !strings.Contains(printed, "Every post travelled between the servers") {
		t.Fatalf("the seeded posts did not all arrive:\n%s", printed)
	}
	bases := regexp.MustCompile(`(?m)^(?:Northside Library|Riverside Schools)  (http://localhost:\d+)$`).FindAllStringSubmatch(printed, -1)
	seen := regexp.MustCompile(`seen from   Riverside Schools  (http://localhost:\d+/c/makers@localhost:\d+)`).FindStringSubmatch(printed)
	if len(bases) != 2 || bases[0][1] == bases[1][1] || seen == nil {
		t.Fatalf("the output lacks the two servers' URLs or the federated page:\n%s", printed)
	}
	first, second := bases[0][1], bases[1][1]
	if !strings.HasPrefix(seen[1], second+"/") || !strings.HasSuffix(seen[1], "@"+strings.TrimPrefix(first, "http://")) {
		t.Fatalf("the federated page %s is not the first server's community on the second server", seen[1])
	}
	if !strings.Contains(printed, "ada / ada-practica (admin)") || !strings.Contains(printed, "ben / ben-practica") {
		t.Fatalf("the logins are not printed:\n%s", printed)
	}

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Accept", "text/html")
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, html.UnescapeString(string(b))
	}
	for i, base := range []string{first, second} {
		status, body := get(base + "/")
		if status != http.StatusOK || !strings.Contains(body, []string{"Makers Network", "School Gardens"}[i]) {
			t.Fatalf("%s: status %d, home page lacks its community", base, status)
		}
	}
	// A post made on the first server (Ada's welcome) and one that went
	// from the second to the first and back (Ben's question) show on the
	// second server's page of the first's community.
	status, body := get(seen[1])
	if status != http.StatusOK || !strings.Contains(body, "Welcome to the Makers Network") || !strings.Contains(body, "How do you run a repair café?") {
		t.Fatalf("%s: status %d, the federated posts are missing:\n%s", seen[1], status, body)
	}

	// The printed login works, through the form and its CSRF token.
	_, form := get(first + "/login")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(form)
	if m == nil {
		t.Fatal("the log-in form has no CSRF token")
	}
	res, err := client.PostForm(first+"/login", url.Values{"identifier": {"ada"}, "password": {"ada-practica"}, "csrf": {m[1]}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("log in as ada: status %d", res.StatusCode)
	}
	if _, body := get(first + "/settings"); !strings.Contains(body, "Ada Lovelace") {
		t.Fatal("logged in as ada, the settings page does not show her")
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("demo stopped with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("demo did not stop when cancelled")
	}
	for _, base := range []string{first, second} {
		if c, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after the demo stopped", base)
		}
	}
}

func TestDemoRefusesBadPorts(t *testing.T) {
	for _, ports := range []string{"8081", "8081,8081", "8081,x", "1,2,3", "-1,8082"} {
		err := runDemo(context.Background(), slog.New(slog.DiscardHandler), []string{"--ports", ports}, io.Discard)
		if _, ok := err.(usageError); !ok {
			t.Errorf("--ports %s: %v, want a usage error", ports, err)
		}
	}
}
