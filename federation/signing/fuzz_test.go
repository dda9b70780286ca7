package signing

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzParseSignature feeds arbitrary Signature / Authorization headers to
// Parse. It must never panic, and whatever it accepts must satisfy the
// invariants Verify relies on.
func FuzzParseSignature(f *testing.F) {
	for _, seed := range []string{
		`keyId="https://a.test/u#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="AAAA"`,
		`keyId="k",algorithm="hs2019",created=1700000000,expires=1700000600,headers="(request-target) host (created) (expires) digest",signature="AAAA"`,
		`keyId="k", headers="(request-target) host date", signature="AAAA"`,
		`keyId="k\"x",signature="AAAA"`,
		`keyId="k",keyId="k",signature="AAAA"`,
		`keyId=k,signature=AAAA`,
		`keyId="k,signature="`,
		`=,=,=`,
		`keyId="k",headers="(foo)",signature="AAAA"`,
		"",
		`"`,
		`keyId="\`,
	} {
		f.Add(seed, false, http.MethodPost)
		f.Add(seed, true, http.MethodGet)
	}
	f.Fuzz(func(t *testing.T, header string, asAuthorization bool, method string) {
		if !validMethod(method) {
			method = http.MethodPost
		}
		r := httptest.NewRequest(method, "https://org-b.test/inbox", nil)
		if asAuthorization {
			r.Header.Set("Authorization", "Signature "+header)
		} else {
			r.Header.Set("Signature", header)
		}
		p, err := Parse(r)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %v is %T, not *Error", err, err)
			}
			return
		}
		if p.KeyID == "" || len(p.signature) == 0 {
			t.Fatalf("accepted without keyId or signature: %+v", p)
		}
		if !p.Signs("(request-target)") || !p.Signs("host") || (!p.Signs("date") && !p.Signs("(created)")) {
			t.Fatalf("accepted without required headers: %v", p.Headers)
		}
		if p.Algorithm != "" && p.Algorithm != AlgorithmRSASHA256 && p.Algorithm != AlgorithmHS2019 {
			t.Fatalf("accepted algorithm %q", p.Algorithm)
		}
		// The canonical form handed to httpsig must parse back identically.
		r2 := httptest.NewRequest(method, "https://org-b.test/inbox", nil)
		r2.Header.Set("Signature", p.canonicalHeader())
		p2, err := Parse(r2)
		if err != nil {
			t.Fatalf("canonical header %q refused: %v", p.canonicalHeader(), err)
		}
		if string(p2.signature) != string(p.signature) || len(p2.Headers) != len(p.Headers) {
			t.Fatalf("canonical header changed the signature: %+v vs %+v", p2, p)
		}
	})
}

// validMethod keeps fuzzed methods to what httptest.NewRequest accepts.
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		if !isTokenChar(m[i]) {
			return false
		}
	}
	return true
}
