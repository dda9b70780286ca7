package signing

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Algorithms accepted in the algorithm parameter. "hs2019" means "derive the
// algorithm from the key", which for the fediverse's RSA keys is rsa-sha256;
// everything else (hmac-*, rsa-sha1, ecdsa-*…) is refused.
const (
	AlgorithmRSASHA256 = "rsa-sha256"
	AlgorithmHS2019    = "hs2019"
)

// Pseudo-headers of draft-cavage.
const (
	requestTarget = "(request-target)"
	created       = "(created)"
	expires       = "(expires)"
)

// maxSignatureHeader bounds the header we parse. A 4096-bit RSA signature is
// 684 base64 characters; the rest is a key id and a short header list.
const maxSignatureHeader = 8 << 10

// Parsed is a syntactically valid signature whose key has not been checked
// yet. The caller fetches the key named by KeyID and calls Verify.
type Parsed struct {
	// KeyID identifies the key, usually "<actor>#main-key" or "<actor>/main-key".
	KeyID string
	// Algorithm is the algorithm parameter in lower case: "rsa-sha256",
	// "hs2019", or "" when the signer left it out (treated like hs2019).
	Algorithm string
	// Headers are the signed header names in order, lower case, including
	// pseudo-headers such as "(request-target)".
	Headers []string
	// Created and Expires are the created/expires parameters as Unix
	// seconds, 0 when absent. They are only trusted when signed.
	Created, Expires int64

	signature []byte
	hasBody   bool
}

// Signs reports whether the signature covers header name (lower case).
func (p *Parsed) Signs(name string) bool { return slices.Contains(p.Headers, name) }

// Parse reads the signature of r from the Signature header or, failing that,
// from "Authorization: Signature …". It refuses malformed or duplicated
// parameters, algorithms other than rsa-sha256 and hs2019, a missing keyId or
// signature, and signatures that leave out (request-target), host, date (or
// (created)), or, for requests that carry a body, digest. Errors are *Error.
func Parse(r *http.Request) (*Parsed, error) {
	raw, err := signatureHeader(r)
	if err != nil {
		return nil, err
	}
	params, err := parseParams(raw)
	if err != nil {
		return nil, err
	}
	p := &Parsed{hasBody: requestHasBody(r)}

	p.KeyID = params["keyid"]
	if p.KeyID == "" {
		return nil, fail(`missing signature parameter "keyId"`)
	}
	sig, ok := params["signature"]
	if !ok || sig == "" {
		return nil, fail(`missing signature parameter "signature"`)
	}
	if p.signature, err = base64.StdEncoding.DecodeString(sig); err != nil {
		return nil, failWith("malformed signature header", fmt.Errorf("signature is not base64: %w", err))
	}
	if a, ok := params["algorithm"]; ok {
		p.Algorithm = strings.ToLower(a)
		if p.Algorithm != AlgorithmRSASHA256 && p.Algorithm != AlgorithmHS2019 {
			return nil, fail(fmt.Sprintf("unsupported algorithm %q", a))
		}
	}
	if p.Headers, err = parseHeaderList(params["headers"]); err != nil {
		return nil, err
	}
	for _, pair := range []struct {
		param, pseudo string
		dst           *int64
	}{{"created", created, &p.Created}, {"expires", expires, &p.Expires}} {
		v, ok := params[pair.param]
		if !ok {
			if p.Signs(pair.pseudo) {
				return nil, fail(fmt.Sprintf("missing signature parameter %q", pair.param))
			}
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return nil, failWith("malformed signature header", fmt.Errorf("%s=%q is not a positive integer", pair.param, v))
		}
		*pair.dst = n
	}

	switch {
	case !p.Signs(requestTarget):
		return nil, fail("(request-target) not signed")
	case !p.Signs("host"):
		return nil, fail("host not signed")
	case !p.Signs("date") && !p.Signs(created):
		return nil, fail("date not signed")
	case p.hasBody && !p.Signs("digest"):
		return nil, fail("digest mismatch: digest not signed")
	}
	return p, nil
}

// signatureHeader returns the parameter list from the Signature header, or
// from an Authorization header using the Signature scheme. Several Signature
// lines are joined as HTTP says they are equivalent to one comma-separated
// line; the parameters then collide and are refused as duplicates.
func signatureHeader(r *http.Request) (string, error) {
	var raw string
	if vs := r.Header.Values("Signature"); len(vs) > 0 {
		raw = strings.Join(vs, ",")
	} else {
		auth := r.Header.Values("Authorization")
		if len(auth) > 1 {
			return "", fail("malformed signature header")
		}
		if len(auth) == 1 {
			scheme, rest, _ := strings.Cut(strings.TrimLeft(auth[0], " \t"), " ")
			if strings.EqualFold(scheme, "Signature") {
				raw = rest
			}
		}
	}
	if strings.TrimSpace(raw) == "" {
		return "", fail("missing signature")
	}
	if len(raw) > maxSignatureHeader {
		return "", fail("malformed signature header")
	}
	return raw, nil
}

// parseParams parses `name=value, name="quoted value"` into a map keyed by
// lower-cased names. Names are matched without regard to case so that
// `keyId` and `keyid` cannot carry two different values past us.
func parseParams(s string) (map[string]string, error) {
	malformed := func(why string) error {
		return failWith("malformed signature header", fmt.Errorf("%s", why))
	}
	params := make(map[string]string, 6)
	i := 0
	skipOWS := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
	}
	for {
		skipOWS()
		start := i
		for i < len(s) && isTokenChar(s[i]) {
			i++
		}
		name := s[start:i]
		if name == "" {
			return nil, malformed(fmt.Sprintf("expected a parameter name at offset %d", start))
		}
		skipOWS()
		if i >= len(s) || s[i] != '=' {
			return nil, malformed(fmt.Sprintf("parameter %q has no value", name))
		}
		i++
		skipOWS()
		var value string
		if i < len(s) && s[i] == '"' {
			i++
			var b strings.Builder
			closed := false
			for i < len(s) {
				c := s[i]
				switch {
				case c == '"':
					closed = true
				case c == '\\' && i+1 < len(s):
					i++
					c = s[i]
					fallthrough
				default:
					if (c < 0x20 && c != '\t') || c == 0x7f {
						return nil, malformed(fmt.Sprintf("control character in parameter %q", name))
					}
					b.WriteByte(c)
				}
				i++
				if closed {
					break
				}
			}
			if !closed {
				return nil, malformed(fmt.Sprintf("unterminated value of parameter %q", name))
			}
			value = b.String()
		} else {
			start := i
			for i < len(s) && isTokenChar(s[i]) {
				i++
			}
			value = s[start:i]
			if value == "" {
				return nil, malformed(fmt.Sprintf("parameter %q has an empty value", name))
			}
		}
		key := strings.ToLower(name)
		if _, dup := params[key]; dup {
			return nil, fail(fmt.Sprintf("duplicate signature parameter %q", name))
		}
		params[key] = value
		skipOWS()
		if i == len(s) {
			return params, nil
		}
		if s[i] != ',' {
			return nil, malformed(fmt.Sprintf("unexpected %q after parameter %q", s[i], name))
		}
		i++
	}
}

// parseHeaderList splits the headers parameter. When it is absent the draft
// defaults to "date", which then fails the (request-target) requirement.
func parseHeaderList(v string) ([]string, error) {
	names := strings.Fields(strings.ToLower(v))
	if len(names) == 0 {
		return []string{"date"}, nil
	}
	for i, n := range names {
		if strings.HasPrefix(n, "(") {
			if n != requestTarget && n != created && n != expires {
				return nil, failWith("malformed signature header", fmt.Errorf("unknown pseudo-header %q", n))
			}
		} else {
			for j := 0; j < len(n); j++ {
				if !isTokenChar(n[j]) {
					return nil, failWith("malformed signature header", fmt.Errorf("bad header name %q", n))
				}
			}
		}
		if slices.Contains(names[:i], n) {
			return nil, failWith("malformed signature header", fmt.Errorf("header %q listed twice", n))
		}
	}
	return names, nil
}

// requestHasBody reports whether r carries (or may carry) a body, in which
// case its Digest must be signed.
func requestHasBody(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		return true
	}
	return r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody
}

// isTokenChar reports whether c may appear in an RFC 9110 token.
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
