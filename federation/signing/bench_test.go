package signing

import (
	"bytes"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/go-fed/httpsig"
)

// benchBody is the size of a typical Announce{Create{Note}}.
var benchBody = bytes.Repeat([]byte("x"), 2048)

// BenchmarkSignPost is C_sign: the cost of signing one delivery.
func BenchmarkSignPost(b *testing.B) {
	s := NewSigner(testKeyID, testKey(b, "a"))
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		r, _ := http.NewRequest(http.MethodPost, "https://org-b.test/inbox", nil)
		if err := s.SignPost(r, benchBody, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignPostParallel shows that one shared Signer scales across cores.
func BenchmarkSignPostParallel(b *testing.B) {
	s := NewSigner(testKeyID, testKey(b, "a"))
	now := time.Now()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r, _ := http.NewRequest(http.MethodPost, "https://org-b.test/inbox", nil)
			if err := s.SignPost(r, benchBody, now); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkVerifyPost is C_verify: Parse and Verify of one inbox delivery,
// key already at hand.
func BenchmarkVerifyPost(b *testing.B) {
	key := testKey(b, "a")
	now := time.Now()
	r := signedPost(b, NewSigner(testKeyID, key), "https://org-b.test/inbox", benchBody, now)
	b.ReportAllocs()
	for b.Loop() {
		p, err := Parse(r)
		if err != nil {
			b.Fatal(err)
		}
		if err := p.Verify(r, benchBody, &key.PublicKey, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHTTPSigSignerAcquire compares the two ways of getting a
// goroutine-private httpsig.Signer: a fresh one per call (what Signer does)
// against a sync.Pool.
func BenchmarkHTTPSigSignerAcquire(b *testing.B) {
	newSigner := func() httpsig.Signer {
		s, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, postHeaders, httpsig.Signature, 0)
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	b.Run("new", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = newSigner()
		}
	})
	b.Run("pool", func(b *testing.B) {
		pool := sync.Pool{New: func() any { return newSigner() }}
		b.ReportAllocs()
		for b.Loop() {
			s := pool.Get().(httpsig.Signer)
			pool.Put(s)
		}
	})
}
