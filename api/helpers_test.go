package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/service"
	"github.com/practica-social/practica/testrig"
)

// rig is one running instance and an HTTP client that reaches it.
type rig struct {
	t      *testing.T
	ctx    context.Context
	net    *testrig.Network
	inst   *testrig.Instance
	client *http.Client
}

// newRig starts a fresh instance for t. Instances share nothing, so the
// tests run in parallel.
func newRig(t *testing.T) *rig {
	t.Helper()
	t.Parallel()
	n := testrig.NewNetwork()
	inst := n.Start(t, "org-a.test")
	return &rig{t: t, ctx: context.Background(), net: n, inst: inst, client: n.Client()}
}

// user is a local person with an account and tokens.
type user struct {
	acct  *models.Account
	read  string // a read-only token
	write string // a read and write token
}

func (u *user) actorID() int64 { return u.acct.ActorID }

func (r *rig) user(name string) *user {
	r.t.Helper()
	acct, err := r.inst.Service.CreateAccount(r.ctx, service.NewAccount{Username: name, Email: name + "@example.org", Password: "long enough"})
	if err != nil {
		r.t.Fatal(err)
	}
	u := &user{acct: acct}
	if u.read, _, err = r.inst.Service.CreateAccessToken(r.ctx, acct.ID, "reader", []string{models.ScopeRead}); err != nil {
		r.t.Fatal(err)
	}
	if u.write, _, err = r.inst.Service.CreateAccessToken(r.ctx, acct.ID, "writer", []string{models.ScopeWrite}); err != nil {
		r.t.Fatal(err)
	}
	return u
}

func (r *rig) community(handle string, owner *user, vis models.Visibility, join models.JoinPolicy, topics ...string) *models.Community {
	r.t.Helper()
	c, err := r.inst.Service.CreateCommunity(r.ctx, service.NewCommunity{Handle: handle, Name: "The " + handle, Topics: topics, OwnerID: owner.actorID(), Visibility: vis, JoinPolicy: join})
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

func (r *rig) join(u *user, c *models.Community) {
	r.t.Helper()
	if st, err := r.inst.Service.Join(r.ctx, u.actorID(), c); err != nil || st != string(models.MemberAccepted) {
		r.t.Fatalf("join: %q %v", st, err)
	}
}

func (r *rig) thread(u *user, c *models.Community, title string) *models.Post {
	r.t.Helper()
	p, err := r.inst.Service.CreatePost(r.ctx, service.NewPost{AuthorID: u.actorID(), CommunityID: c.ID, Title: title, Body: "About " + title})
	if err != nil {
		r.t.Fatal(err)
	}
	return p
}

func (r *rig) reply(u *user, c *models.Community, to *models.Post, body string) *models.Post {
	r.t.Helper()
	p, err := r.inst.Service.CreatePost(r.ctx, service.NewPost{AuthorID: u.actorID(), CommunityID: c.ID, InReplyToID: to.ID, Body: body})
	if err != nil {
		r.t.Fatal(err)
	}
	return p
}

// remoteCommunity records a Group on another server as a known community.
func (r *rig) remoteCommunity(host, name string, topics ...string) *models.Community {
	r.t.Helper()
	iri := "http://" + host + "/c/" + name
	a := &models.Actor{IRI: iri, Type: models.ActorGroup, Username: name, Host: host, Kind: models.KindGroup, Name: "Remote " + name,
		InboxURL: iri + "/inbox", Discoverable: true, Published: time.Now()}
	if err := r.inst.Store.UpsertRemoteActor(r.ctx, a); err != nil {
		r.t.Fatal(err)
	}
	c, err := r.inst.Service.EnsureRemoteCommunity(r.ctx, a)
	if err != nil {
		r.t.Fatal(err)
	}
	if len(topics) > 0 {
		c.Topics = topics
		if err := r.inst.Store.UpdateCommunity(r.ctx, c); err != nil {
			r.t.Fatal(err)
		}
	}
	return c
}

// response is an answer read whole.
type response struct {
	t      *testing.T
	req    string
	status int
	header http.Header
	body   []byte
}

// call sends method path (under /api/v1) with a token ("" for none) and a
// body: nil, a string sent as is, or a value sent as JSON.
func (r *rig) call(method, path, token string, body any) *response {
	r.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			r.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(r.ctx, method, r.inst.BaseURL+"/api/v1"+path, rd)
	if err != nil {
		r.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	return &response{t: r.t, req: method + " " + path, status: resp.StatusCode, header: resp.Header, body: b}
}

// ok checks the status and decodes the JSON body into v (when not nil).
func (resp *response) ok(status int, v any) {
	resp.t.Helper()
	if resp.status != status {
		resp.t.Fatalf("%s: status %d, want %d; body %s", resp.req, resp.status, status, resp.body)
	}
	if v == nil {
		return
	}
	if ct := resp.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		resp.t.Fatalf("%s: Content-Type %q, want JSON", resp.req, ct)
	}
	dec := json.NewDecoder(bytes.NewReader(resp.body))
	if err := dec.Decode(v); err != nil {
		resp.t.Fatalf("%s: decode %s: %v", resp.req, resp.body, err)
	}
}

// fails checks for a JSON error of status and code whose message contains
// part.
func (resp *response) fails(status int, code, part string) {
	resp.t.Helper()
	var e struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	if resp.status != status {
		resp.t.Fatalf("%s: status %d, want %d; body %s", resp.req, resp.status, status, resp.body)
	}
	if err := json.Unmarshal(resp.body, &e); err != nil {
		resp.t.Fatalf("%s: error body %q is not JSON: %v", resp.req, resp.body, err)
	}
	if e.Error != code || !strings.Contains(e.Message, part) {
		resp.t.Fatalf("%s: error %q %q, want %q containing %q", resp.req, e.Error, e.Message, code, part)
	}
}

// apiPost, apiCommunity … decode the API's JSON without importing its
// types, so the tests read the wire format a client sees.
type apiActor struct {
	Acct  string `json:"acct"`
	Host  string `json:"host"`
	Local bool   `json:"local"`
}

type apiMembership struct {
	State string `json:"state"`
	Role  string `json:"role"`
}

type apiCommunity struct {
	Handle      string         `json:"handle"`
	Acct        string         `json:"acct"`
	Name        string         `json:"name"`
	Local       bool           `json:"local"`
	Topics      []string       `json:"topics"`
	Visibility  string         `json:"visibility"`
	JoinPolicy  string         `json:"join_policy"`
	Summary     string         `json:"summary"`
	MemberCount *int64         `json:"member_count"`
	Membership  *apiMembership `json:"membership"`
}

type apiPost struct {
	ID         string   `json:"id"`
	IRI        string   `json:"iri"`
	Community  string   `json:"community"`
	Author     apiActor `json:"author"`
	ThreadID   string   `json:"thread_id"`
	InReplyTo  string   `json:"in_reply_to"`
	Title      string   `json:"title"`
	Content    string   `json:"content"`
	Source     string   `json:"source"`
	Audience   string   `json:"audience"`
	ReplyCount int      `json:"reply_count"`
	LikeCount  int      `json:"like_count"`
	Liked      bool     `json:"liked"`
}

type apiMember struct {
	Actor  apiActor `json:"actor"`
	Role   string   `json:"role"`
	Origin string   `json:"origin"`
}

type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
	Total      *int64 `json:"total"`
}

// walk fetches every page of a listing with the given page size and
// returns the items and the number of pages.
func walk[T any](r *rig, path, token string, limit int) ([]T, int) {
	r.t.Helper()
	var all []T
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	cursor, pages := "", 0
	for {
		var p page[T]
		r.call(http.MethodGet, path+sep+"limit="+itoa(limit)+"&cursor="+cursor, token, nil).ok(http.StatusOK, &p)
		pages++
		if len(p.Items) > limit {
			r.t.Fatalf("%s: page of %d items, limit %d", path, len(p.Items), limit)
		}
		all = append(all, p.Items...)
		if p.NextCursor == "" {
			return all, pages
		}
		if len(p.Items) != limit {
			r.t.Fatalf("%s: short page (%d of %d) with a next cursor", path, len(p.Items), limit)
		}
		if pages > 50 {
			r.t.Fatalf("%s: cursor never ends", path)
		}
		cursor = p.NextCursor
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func idOf(p *models.Post) string { return strconv.FormatInt(p.ID, 10) }
