package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/practica-social/practica/models"
)

func TestTokenAuthentication(t *testing.T) {
	r := newRig(t)
	ada := r.user("ada")

	// Missing token: 401 with a Bearer challenge.
	resp := r.call(http.MethodGet, "/me", "", nil)
	resp.fails(http.StatusUnauthorized, "unauthorized", "access token")
	if got := resp.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
		t.Errorf("WWW-Authenticate %q, want a Bearer challenge", got)
	}

	// Wrong scheme, garbage, an unknown token of the right shape.
	for _, auth := range []string{"Basic YWRhOnB3", "Bearer", "Bearer  ", "Token " + ada.read} {
		req, _ := http.NewRequest(http.MethodGet, r.inst.BaseURL+"/api/v1/me", nil)
		req.Header.Set("Authorization", auth)
		res, err := r.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("Authorization %q: status %d, want 401", auth, res.StatusCode)
		}
	}
	r.call(http.MethodGet, "/me", "not-a-token", nil).fails(http.StatusUnauthorized, "unauthorized", "not valid")
	forged := "prt_" + strings.Repeat("A", 43)
	resp = r.call(http.MethodGet, "/me", forged, nil)
	resp.fails(http.StatusUnauthorized, "unauthorized", "not valid")
	if got := resp.header.Get("WWW-Authenticate"); !strings.Contains(got, `error="invalid_token"`) {
		t.Errorf("WWW-Authenticate %q, want invalid_token", got)
	}

	// A valid token works, for reading with either scope.
	var me struct {
		Actor apiActor `json:"actor"`
		Email string   `json:"email"`
		Token struct {
			Name   string   `json:"name"`
			Scopes []string `json:"scopes"`
		} `json:"token"`
	}
	r.call(http.MethodGet, "/me", ada.read, nil).ok(http.StatusOK, &me)
	if me.Actor.Acct != "ada@org-a.test" || me.Email != "ada@example.org" || me.Token.Name != "reader" || strings.Join(me.Token.Scopes, ",") != "read" {
		t.Fatalf("me: %+v", me)
	}
	if resp := r.call(http.MethodGet, "/me", ada.read, nil); strings.Contains(string(resp.body), ada.read) || strings.Contains(string(resp.body), "hash") {
		t.Fatalf("me reveals the token: %s", resp.body)
	}
	r.call(http.MethodGet, "/me", ada.write, nil).ok(http.StatusOK, nil)

	// A read-only token on a write endpoint: 403 naming the scope.
	resp = r.call(http.MethodPost, "/communities", ada.read, map[string]any{"handle": "ops"})
	resp.fails(http.StatusForbidden, "forbidden", "write scope")
	if got := resp.header.Get("WWW-Authenticate"); !strings.Contains(got, `error="insufficient_scope"`) {
		t.Errorf("WWW-Authenticate %q, want insufficient_scope", got)
	}
	r.call(http.MethodPost, "/communities", ada.write, map[string]any{"handle": "ops"}).ok(http.StatusCreated, nil)

	// A revoked token stops working at once.
	tokens, err := r.inst.Service.ListAccessTokens(r.ctx, ada.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range tokens {
		if tok.Name == "writer" {
			if err := r.inst.Service.RevokeAccessToken(r.ctx, ada.acct.ID, tok.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	r.call(http.MethodGet, "/me", ada.write, nil).fails(http.StatusUnauthorized, "unauthorized", "revoked")
	r.call(http.MethodPost, "/communities", ada.write, map[string]any{"handle": "ops2"}).fails(http.StatusUnauthorized, "unauthorized", "revoked")
	r.call(http.MethodGet, "/me", ada.read, nil).ok(http.StatusOK, nil)

	// API answers are never cached by intermediaries.
	if cc := r.call(http.MethodGet, "/me", ada.read, nil).header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
}

func TestUnknownRoutesAndMethodsAnswerJSON(t *testing.T) {
	r := newRig(t)
	ada := r.user("ada")
	r.call(http.MethodGet, "/nothing-here", ada.read, nil).fails(http.StatusNotFound, "not_found", "")
	r.call(http.MethodPut, "/communities", ada.write, nil).fails(http.StatusMethodNotAllowed, "method_not_allowed", "")
}

func TestInstanceNeedsNoToken(t *testing.T) {
	r := newRig(t)
	ada := r.user("ada")
	c := r.community("garden", ada, models.VisibilityPublic, models.JoinOpen)
	r.thread(ada, c, "Compost")
	secret := r.community("secret", ada, models.VisibilityMembers, models.JoinApproval)
	r.thread(ada, secret, "Hidden")

	var inst struct {
		Name       string `json:"name"`
		Domain     string `json:"domain"`
		Version    string `json:"version"`
		SignupMode string `json:"signup_mode"`
		Counts     struct {
			Users, Communities, Threads, Replies int64
		} `json:"counts"`
	}
	r.call(http.MethodGet, "/instance", "", nil).ok(http.StatusOK, &inst)
	if inst.Name != "Test org-a.test" || inst.Domain != "org-a.test" || inst.Version == "" || inst.SignupMode != "closed" {
		t.Fatalf("instance: %+v", inst)
	}
	// Members-only content is never counted.
	if inst.Counts.Users != 1 || inst.Counts.Communities != 1 || inst.Counts.Threads != 1 || inst.Counts.Replies != 0 {
		t.Fatalf("counts: %+v", inst.Counts)
	}
}
