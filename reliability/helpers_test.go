package reliability_test

import (
	"bytes"
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/practica-social/practica/federation/signing"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// eventually polls cond until it holds, failing the test after within:
// federation is asynchronous, and a bounded wait is the honest way to
// observe it. Nothing is asserted about how long it took.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for: %s", within, what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// person creates an approved local account; its password is "pw-"+name.
func person(t testing.TB, inst *testrig.Instance, name string) *models.Account {
	t.Helper()
	a, err := inst.Service.CreateAccount(context.Background(), service.NewAccount{
		Username: name, Email: name + "@example.org", Password: "pw-" + name + "-long-enough",
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// signerOf signs as a local actor of inst with the key inst holds.
func signerOf(t testing.TB, a *models.Actor) *signing.Signer {
	t.Helper()
	key, err := signing.ParsePrivateKey(a.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return signing.NewSigner(a.PublicKeyID, key)
}

// apiToken creates a personal access token for an account.
func apiToken(t testing.TB, inst *testrig.Instance, acct *models.Account, scopes ...string) string {
	t.Helper()
	if len(scopes) == 0 {
		scopes = []string{"read"}
	}
	tok, _, err := inst.Service.CreateAccessToken(context.Background(), acct.ID, "reliability", scopes)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// answer is one HTTP response read whole.
type answer struct {
	Status int
	Body   string
	Header http.Header
}

// client is one way of asking an instance: anonymous, a browser session,
// an API token, or signed GETs of an actor.
type client struct {
	t      testing.TB
	name   string
	http   *http.Client
	signer *signing.Signer
	token  string
	csrf   string
}

// anonymous is a client with no credentials.
func anonymous(t testing.TB, n *testrig.Network, name string) *client {
	return &client{t: t, name: name, http: n.Client()}
}

// signedAs is a client that signs every GET as the actor.
func signedAs(t testing.TB, n *testrig.Network, name string, a *models.Actor) *client {
	return &client{t: t, name: name, http: n.Client(), signer: signerOf(t, a)}
}

// withToken is an API client with a bearer token.
func withToken(t testing.TB, n *testrig.Network, name, token string) *client {
	return &client{t: t, name: name, http: n.Client(), token: token}
}

var csrfPattern = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// loggedIn is a browser with a session on inst, logged in through the form.
func loggedIn(t testing.TB, n *testrig.Network, inst *testrig.Instance, acct *models.Account) *client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	base := n.Client()
	c := &client{t: t, name: acct.Actor.Username + "'s browser on " + inst.Host, http: &http.Client{
		Transport: base.Transport, Jar: jar, Timeout: base.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	c.page(inst.BaseURL + "/login")
	form := url.Values{"identifier": {acct.Actor.Username}, "password": {"pw-" + acct.Actor.Username + "-long-enough"}, "csrf": {c.csrf}}
	req, _ := http.NewRequest(http.MethodPost, inst.BaseURL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if r := c.do(req); r.Status != http.StatusSeeOther {
		t.Fatalf("log in %s on %s: %d %s", acct.Actor.Username, inst.Host, r.Status, r.Body)
	}
	return c
}

func (c *client) do(req *http.Request) answer {
	c.t.Helper()
	if c.signer != nil {
		if err := c.signer.SignGet(req, time.Now()); err != nil {
			c.t.Fatal(err)
		}
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s: %s %s: %v", c.name, req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfPattern.FindSubmatch(b); m != nil {
		c.csrf = html.UnescapeString(string(m[1]))
	}
	return answer{Status: resp.StatusCode, Body: string(b), Header: resp.Header}
}

func (c *client) get(u, accept string) answer {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Accept", accept)
	return c.do(req)
}

// page GETs an HTML page.
func (c *client) page(u string) answer { c.t.Helper(); return c.get(u, "text/html") }

// ap GETs an ActivityPub document.
func (c *client) ap(u string) answer { c.t.Helper(); return c.get(u, "application/activity+json") }

// api GETs a JSON API resource.
func (c *client) api(u string) answer { c.t.Helper(); return c.get(u, "application/json") }

// wire records the requests that reach one instance, on the way in, by
// standing in front of it on the test network.
type wire struct {
	mu    sync.Mutex
	posts []wirePost
}

// wirePost is one POST that reached the instance.
type wirePost struct {
	Path string
	Body string
}

// tap puts a recording proxy in front of inst: from now on every request
// to inst's host name passes it.
func tap(t testing.TB, n *testrig.Network, inst *testrig.Instance) *wire {
	t.Helper()
	w := &wire{}
	backend := inst.Addr
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.Out.URL.Scheme, r.Out.URL.Host = "http", backend
		r.Out.Host = r.In.Host
	}}
	srv := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodPost {
			body, _ := io.ReadAll(req.Body)
			req.Body = io.NopCloser(bytes.NewReader(body))
			w.mu.Lock()
			w.posts = append(w.posts, wirePost{Path: req.URL.Path, Body: string(body)})
			w.mu.Unlock()
		}
		rp.ServeHTTP(rw, req)
	})}
	l := listen(t)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	n.Add(inst.Host, l.Addr().String())
	return w
}

// carrying lists the paths of the POSTs whose body contains s.
func (w *wire) carrying(s string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, p := range w.posts {
		if strings.Contains(p.Body, s) {
			out = append(out, p.Path)
		}
	}
	return out
}
