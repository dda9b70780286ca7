package app_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/practica-social/practica/"

// allowed lists, for each layer, the layers it may import directly.
// Imports flow one way: cmd → app → api, web, workers → federation →
// service → store → models; config and tasks are leaves.
var allowed = map[string][]string{
	"models": {},
	// The ActivityStreams reader is a leaf the service may use to take
	// remote documents apart.
	"activitystreams": {},
	"config":          {},
	"tasks":           {},
	"store":           {"models"},
	"service":         {"service", "store", "models", "tasks", "activitystreams"},
	"federation":      {"federation", "activitystreams", "service", "models", "tasks"},
	"workers":         {"federation", "service", "models", "tasks"},
	"web":             {"federation", "service", "models"},
	"api":             {"federation", "service", "models"},
	"app":             {"config", "api", "web", "workers", "federation", "service", "store", "models", "tasks"},
	"cmd":             {"app", "config", "service", "models", "workers", "testrig", "bench"},
	"testrig":         {"app", "config", "store", "workers", "federation", "service", "models", "testrig"},
	"scripts":         {},
	// The benchmark drives whole instances from outside, like cmd.
	"bench": {"app", "config", "federation", "activitystreams", "service", "store", "models", "tasks", "workers", "testrig", "bench"},
	// Fault-injection suites drive whole instances and real services.
	"reliability": {"app", "config", "api", "web", "federation", "activitystreams", "service", "store", "models", "tasks", "workers", "testrig", "reliability"},
}

func layerOf(pkg string) string {
	rel := strings.TrimPrefix(pkg, module)
	if strings.HasPrefix(rel, "federation/activitystreams") {
		return "activitystreams"
	}
	layer, _, _ := strings.Cut(rel, "/")
	return layer
}

func TestImportsFlowOneWay(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		seen++
		from := layerOf(p.ImportPath)
		ok, known := allowed[from]
		if !known {
			t.Errorf("package %s is in no known layer; add it to the layering rules", p.ImportPath)
			continue
		}
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module) {
				if from != "app" && from != "cmd" && from != "web" && from != "api" && from != "federation" && from != "testrig" && from != "workers" && strings.HasPrefix(imp, "github.com/labstack/echo") {
					t.Errorf("%s imports Echo; only HTTP layers may", p.ImportPath)
				}
				if from != "store" && from != "testrig" && (imp == "gorm.io/gorm" || strings.HasPrefix(imp, "gorm.io/driver")) {
					t.Errorf("%s imports GORM; only the store may", p.ImportPath)
				}
				continue
			}
			to := layerOf(imp)
			if !contains(ok, to) {
				t.Errorf("%s imports %s: %s may not depend on %s", p.ImportPath, imp, from, to)
			}
		}
	}
	if seen < 10 {
		t.Fatalf("only %d packages listed", seen)
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
