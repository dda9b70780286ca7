package api_test

import (
	"net/http"
	"strings"
	"testing"
)

type apiToken struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Scopes    []string `json:"scopes"`
	RevokedAt string   `json:"revoked_at"`
}

// TestListAndRevokeTokens: a person lists their tokens (never the
// secrets), revokes one, and a token can revoke itself to sign out.
func TestListAndRevokeTokens(t *testing.T) {
	r := newRig(t)
	ada, bob := r.user("ada"), r.user("bob")

	var tokens page[apiToken]
	resp := r.call(http.MethodGet, "/tokens", ada.read, nil)
	resp.ok(http.StatusOK, &tokens)
	if len(tokens.Items) != 2 || tokens.Items[0].Name != "writer" || tokens.Items[1].Name != "reader" {
		t.Fatalf("ada's tokens, newest first: %+v", tokens.Items)
	}
	if strings.Contains(string(resp.body), ada.read) || strings.Contains(string(resp.body), ada.write) {
		t.Fatalf("the listing reveals a token: %s", resp.body)
	}
	reader, writer := tokens.Items[1], tokens.Items[0]

	r.call(http.MethodDelete, "/tokens/"+reader.ID, ada.read, nil).fails(http.StatusForbidden, "forbidden", "write scope")
	r.call(http.MethodDelete, "/tokens/"+reader.ID, bob.write, nil).fails(http.StatusNotFound, "not_found", "token")
	r.call(http.MethodDelete, "/tokens/x", ada.write, nil).fails(http.StatusNotFound, "not_found", "token")
	r.call(http.MethodGet, "/me", ada.read, nil).ok(http.StatusOK, nil)

	r.call(http.MethodDelete, "/tokens/"+reader.ID, ada.write, nil).ok(http.StatusNoContent, nil)
	r.call(http.MethodGet, "/me", ada.read, nil).fails(http.StatusUnauthorized, "unauthorized", "revoked")
	tokens = page[apiToken]{}
	r.call(http.MethodGet, "/tokens", ada.write, nil).ok(http.StatusOK, &tokens)
	if len(tokens.Items) != 2 || tokens.Items[1].RevokedAt == "" || tokens.Items[0].RevokedAt != "" {
		t.Fatalf("after revoking the reader: %+v", tokens.Items)
	}

	// Signing out: the token in use revokes itself.
	r.call(http.MethodDelete, "/tokens/"+writer.ID, ada.write, nil).ok(http.StatusNoContent, nil)
	r.call(http.MethodGet, "/tokens", ada.write, nil).fails(http.StatusUnauthorized, "unauthorized", "revoked")
	// Bob's tokens were never touched.
	r.call(http.MethodGet, "/me", bob.read, nil).ok(http.StatusOK, nil)
}
