package api_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/practica-social/practica/api"
	"github.com/practica-social/practica/models"
)

// openAPI is the part of the document the tests read.
type openAPI struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]struct {
			Required   []string                   `json:"required"`
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"schemas"`
	} `json:"components"`
}

type operation struct {
	Security  *[]map[string][]string     `json:"security"`
	Scope     string                     `json:"x-practica-scope"`
	Responses map[string]json.RawMessage `json:"responses"`
}

func loadOpenAPI(t *testing.T, r *rig) (openAPI, []byte) {
	t.Helper()
	resp := r.call(http.MethodGet, "/openapi.json", "", nil)
	var doc openAPI
	resp.ok(http.StatusOK, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi %q, want 3.x", doc.OpenAPI)
	}
	return doc, resp.body
}

// operations lists "METHOD /path" of the document (paths as Echo writes
// them, under the prefix).
func operations(doc openAPI) map[string]operation {
	out := map[string]operation{}
	param := regexp.MustCompile(`\{([^}]+)\}`)
	for path, item := range doc.Paths {
		for method, raw := range item {
			if method == "parameters" {
				continue
			}
			var op operation
			_ = json.Unmarshal(raw, &op)
			out[strings.ToUpper(method)+" "+api.Prefix+param.ReplaceAllString(path, ":$1")] = op
		}
	}
	return out
}

// Every route Echo serves under /api/v1 is documented with its method,
// and the document lists nothing the server lacks.
func TestOpenAPIDocumentsExactlyTheRegisteredRoutes(t *testing.T) {
	r := newRig(t)
	doc, _ := loadOpenAPI(t, r)
	documented := operations(doc)

	registered := map[string]bool{}
	for _, rt := range r.inst.Echo.Routes() {
		if rt.Method == echo.RouteNotFound || !strings.HasPrefix(rt.Path, api.Prefix+"/") {
			continue
		}
		key := rt.Method + " " + rt.Path
		registered[key] = true
		if _, ok := documented[key]; !ok {
			t.Errorf("route %s is not in openapi.json", key)
		}
	}
	for key := range documented {
		if !registered[key] {
			t.Errorf("openapi.json documents %s, which the server does not serve", key)
		}
	}
	if len(registered) < 15 {
		t.Fatalf("only %d API routes registered", len(registered))
	}
}

// The scope each operation documents is the scope the server enforces:
// without a token every non-public operation is 401; with a read-only
// token every write operation is 403 and no read operation is.
func TestOpenAPIScopesAreEnforced(t *testing.T) {
	r := newRig(t)
	ada := r.user("ada")
	c := r.community("garden", ada, models.VisibilityPublic, models.JoinOpen)
	p := r.thread(ada, c, "Soil")
	doc, _ := loadOpenAPI(t, r)

	fill := strings.NewReplacer(":handle", "garden", ":id", idOf(p))
	for key, op := range operations(doc) {
		method, path, _ := strings.Cut(key, " ")
		path = strings.TrimPrefix(fill.Replace(path), api.Prefix)
		public := op.Security != nil && len(*op.Security) == 0
		switch {
		case public && op.Scope != "":
			t.Errorf("%s is public but names scope %q", key, op.Scope)
		case !public && op.Scope != "read" && op.Scope != "write":
			t.Errorf("%s names no scope (x-practica-scope)", key)
		}
		if !public {
			if _, ok := op.Responses["401"]; !ok {
				t.Errorf("%s does not document 401", key)
			}
			r.call(method, path, "", nil).fails(http.StatusUnauthorized, "unauthorized", "")
		}
		resp := r.call(method, path, ada.read, nil)
		if op.Scope == "write" {
			if _, ok := op.Responses["403"]; !ok {
				t.Errorf("%s does not document 403", key)
			}
			resp.fails(http.StatusForbidden, "forbidden", "write scope")
		} else if resp.status == http.StatusUnauthorized || resp.status == http.StatusForbidden {
			t.Errorf("%s with a read token: %d %s", key, resp.status, resp.body)
		}
	}
}

// The schemas describe the Go types field for field: a field added to a
// type and not to the document (or the reverse) fails here.
func TestOpenAPISchemasMatchTheTypes(t *testing.T) {
	t.Parallel()
	var doc openAPI
	if err := json.Unmarshal(api.OpenAPIDocument(), &doc); err != nil {
		t.Fatal(err)
	}
	responses := map[string]any{
		"Instance": api.Instance{}, "InstanceCounts": api.InstanceCounts{}, "Actor": api.Actor{}, "Me": api.Me{},
		"Token": api.Token{}, "Community": api.Community{}, "Membership": api.Membership{}, "Member": api.Member{},
		"Post": api.Post{}, "PostWithReplies": api.PostWithReplies{}, "CommunityPage": api.Page[api.Community]{},
		"PostPage": api.Page[api.Post]{}, "MemberPage": api.Page[api.Member]{},
		"MembershipRequest": api.MembershipRequest{}, "MembershipRequestPage": api.Page[api.MembershipRequest]{},
		"TokenPage": api.Page[api.Token]{}, "Report": api.Report{}, "ReportPage": api.Page[api.Report]{},
		"BlockedServer": api.BlockedServer{}, "BlockedServerPage": api.Page[api.BlockedServer]{},
		"ServerBlocked": api.ServerBlocked{}, "BlockEnded": api.BlockEnded{},
		"Ban": api.Ban{}, "BanPage": api.Page[api.Ban]{},
	}
	requests := map[string]any{
		"CreateCommunityRequest": api.CreateCommunityRequest{}, "UpdateCommunityRequest": api.UpdateCommunityRequest{},
		"CreateThreadRequest": api.CreateThreadRequest{}, "ReplyRequest": api.ReplyRequest{}, "EditPostRequest": api.EditPostRequest{},
		"SetMemberRoleRequest": api.SetMemberRoleRequest{}, "RemovePostRequest": api.RemovePostRequest{},
		"ReportPostRequest": api.ReportPostRequest{}, "BlockServerRequest": api.BlockServerRequest{},
		"BanRequest": api.BanRequest{},
	}
	check := func(name string, v any, response bool) {
		s, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("schema %s is missing", name)
			return
		}
		var fields, always []string
		rt := reflect.TypeOf(v)
		for i := range rt.NumField() {
			tag := rt.Field(i).Tag.Get("json")
			n, opts, _ := strings.Cut(tag, ",")
			fields = append(fields, n)
			if opts != "omitempty" {
				always = append(always, n)
			}
		}
		var props []string
		for p := range s.Properties {
			props = append(props, p)
		}
		sort.Strings(fields)
		sort.Strings(props)
		if !slices.Equal(fields, props) {
			t.Errorf("schema %s has properties %v; the Go type has %v", name, props, fields)
		}
		if response {
			req := slices.Clone(s.Required)
			sort.Strings(req)
			sort.Strings(always)
			if !slices.Equal(req, always) {
				t.Errorf("schema %s requires %v; the Go type always sends %v", name, req, always)
			}
		}
	}
	for name, v := range responses {
		check(name, v, true)
	}
	for name, v := range requests {
		check(name, v, false)
	}
}

// Every $ref points at something the document defines.
func TestOpenAPIReferencesResolve(t *testing.T) {
	t.Parallel()
	var doc map[string]any
	if err := json.Unmarshal(api.OpenAPIDocument(), &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if ref, ok := x.(string); ok && k == "$ref" {
					parts := strings.Split(strings.TrimPrefix(ref, "#/"), "/")
					var at any = doc
					for _, p := range parts {
						m, _ := at.(map[string]any)
						at = m[p]
					}
					if at == nil {
						t.Errorf("$ref %s resolves to nothing", ref)
					}
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
}
