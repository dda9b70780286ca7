package config

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// readFile parses a configuration file of KEY=VALUE lines.
//
// The format follows shell-style env files so the same file can also be
// sourced by a shell: blank lines and lines starting with # are skipped, an optional "export "
// prefix is allowed, and a value may be wrapped in matching single or double
// quotes, which are removed without interpreting escapes. A # after a value
// is part of the value, because passwords in database URLs may contain one.
func readFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{Setting: EnvConfig, Problem: fmt.Sprintf("cannot read configuration file: %v", err), err: err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, &Error{Setting: EnvConfig, Problem: fmt.Sprintf("cannot read configuration file: %v", err), err: err}
	}
	if len(data) > maxFileSize {
		return nil, settingError(EnvConfig, "%s is larger than %d bytes", path, maxFileSize)
	}
	return parseFile(path, string(data))
}

// parseFile parses the contents of a configuration file; name is used only
// in messages.
func parseFile(name, data string) (map[string]string, error) {
	known := knownKeys()
	values := map[string]string{}
	seenAt := map[string]int{}
	data = strings.TrimPrefix(data, "\uFEFF") // editors on Windows add a BOM
	for i, line := range strings.Split(data, "\n") {
		lineNo := i + 1
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "export "); ok {
			line = strings.TrimSpace(rest)
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, settingError(EnvConfig, "%s line %d: expected KEY=VALUE", name, lineNo)
		}
		key = strings.TrimSpace(key)
		value = strings.TrimSpace(value)
		if key == "" {
			return nil, settingError(EnvConfig, "%s line %d: expected KEY=VALUE", name, lineNo)
		}
		if key == EnvConfig {
			return nil, settingError(EnvConfig, "%s line %d: cannot be set inside the configuration file", name, lineNo)
		}
		if !slices.Contains(known, key) {
			problem := fmt.Sprintf("unknown setting in %s line %d", name, lineNo)
			if s := suggest(key, known); s != "" {
				problem += fmt.Sprintf(" (did you mean %s?)", s)
			}
			return nil, &Error{Setting: key, Problem: problem}
		}
		if prev, dup := seenAt[key]; dup {
			// Shells let the last one win, but a repeated key is more often
			// an edit applied to the wrong copy than an intended override.
			return nil, settingError(key, "set twice in %s (lines %d and %d)", name, prev, lineNo)
		}
		seenAt[key] = lineNo
		if len(value) > 0 && (value[0] == '"' || value[0] == '\'') {
			q := value[0]
			if len(value) < 2 || value[len(value)-1] != q {
				return nil, settingError(key, "%s line %d: unterminated quoted value", name, lineNo)
			}
			value = value[1 : len(value)-1]
		}
		values[key] = value
	}
	return values, nil
}

// suggest returns the known key closest to key when it is close enough to be
// a likely typo, or "".
func suggest(key string, known []string) string {
	best, bestDist := "", 3 // more than two edits away is not a typo
	upper := strings.ToUpper(key)
	for _, k := range known {
		if d := editDistance(upper, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes, which
// is enough for ASCII setting names.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
