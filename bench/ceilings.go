package bench

import (
	"bytes"
	"crypto/rsa"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/practica-social/practica/federation/signing"
)

// Ceilings are the costs the cases are compared with, re-measured in every
// run on the machine as it is loaded at the time: the real signing code,
// one operation at a time (CPU µs per operation) and on every core at once
// (operations per second: the machine's ceiling as loaded).
type Ceilings struct {
	// SignMicros is C_sign: RSA-2048 httpsig signing of one POST (Digest
	// of the body included), µs of CPU time.
	SignMicros float64 `json:"sign_us"`
	// SignPerSec is signatures per second with every core signing.
	SignPerSec float64 `json:"sign_per_s"`
	// VerifyMicros is C_verify: Parse and Verify (Digest, Date, RSA) of
	// one signed POST, key at hand, µs of CPU time.
	VerifyMicros float64 `json:"verify_us"`
	// VerifyPerSec is verifications per second on every core.
	VerifyPerSec float64 `json:"verify_per_s"`
	// Procs is GOMAXPROCS during the measurement.
	Procs int `json:"procs"`
}

// benchBody is the size of a typical Announce{Create{Note}}.
var benchBody = bytes.Repeat([]byte("x"), 2048)

// measureCeilings measures C_sign and C_verify, each for about d on one
// core and d on all cores.
func measureCeilings(key *rsa.PrivateKey, d time.Duration) (Ceilings, error) {
	const keyID = "https://bench.example/actor#main-key"
	signer := signing.NewSigner(keyID, key)
	sign := func() error {
		r, _ := http.NewRequest(http.MethodPost, "https://org-b.example/inbox", nil)
		return signer.SignPost(r, benchBody, time.Now())
	}
	signed, _ := http.NewRequest(http.MethodPost, "https://org-b.example/inbox", nil)
	now := time.Now()
	if err := signer.SignPost(signed, benchBody, now); err != nil {
		return Ceilings{}, err
	}
	verify := func() error {
		p, err := signing.Parse(signed)
		if err != nil {
			return err
		}
		return p.Verify(signed, benchBody, &key.PublicKey, now)
	}
	c := Ceilings{Procs: runtime.GOMAXPROCS(0)}
	var err error
	if c.SignMicros, err = perOp(sign, d); err != nil {
		return c, fmt.Errorf("C_sign: %w", err)
	}
	if c.SignPerSec, err = parallelRate(sign, d); err != nil {
		return c, fmt.Errorf("C_sign: %w", err)
	}
	if c.VerifyMicros, err = perOp(verify, d); err != nil {
		return c, fmt.Errorf("C_verify: %w", err)
	}
	if c.VerifyPerSec, err = parallelRate(verify, d); err != nil {
		return c, fmt.Errorf("C_verify: %w", err)
	}
	return c, nil
}

// perOp runs f on one goroutine for about d and returns the process CPU
// time per call in µs: unlike wall time, it does not grow when other
// processes take the cores, so it compares with the CPU time the cases
// spend per operation.
func perOp(f func() error, d time.Duration) (float64, error) {
	_ = f() // warm up
	n := 0
	start, cpu0 := time.Now(), cpuTime()
	for time.Since(start) < d || n < 10 {
		if err := f(); err != nil {
			return 0, err
		}
		n++
	}
	return float64((cpuTime() - cpu0).Microseconds()) / float64(n), nil
}

// parallelRate runs f on GOMAXPROCS goroutines for about d and returns
// calls per second.
func parallelRate(f func() error, d time.Duration) (float64, error) {
	procs := runtime.GOMAXPROCS(0)
	var n atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if err := f(); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return 0, err
	}
	return float64(n.Load()) / time.Since(start).Seconds(), nil
}

// rates measures the all-core signing and verification rates for about d
// each, with the real code, for a case to compare itself with the machine
// as loaded just around its measurement rather than at the start of the
// run.
type rates struct {
	key  *rsa.PrivateKey
	d    time.Duration
	sign func() error
	ver  func() error
}

func newRates(d time.Duration) (*rates, error) {
	priv, _, err := signing.GenerateKey()
	if err != nil {
		return nil, err
	}
	key, err := signing.ParsePrivateKey(priv)
	if err != nil {
		return nil, err
	}
	const keyID = "https://bench.example/actor#main-key"
	signer := signing.NewSigner(keyID, key)
	signed, _ := http.NewRequest(http.MethodPost, "https://org-b.example/inbox", nil)
	now := time.Now()
	if err := signer.SignPost(signed, benchBody, now); err != nil {
		return nil, err
	}
	return &rates{
		key: key, d: d,
		sign: func() error {
			r, _ := http.NewRequest(http.MethodPost, "https://org-b.example/inbox", nil)
			return signer.SignPost(r, benchBody, time.Now())
		},
		ver: func() error {
			p, err := signing.Parse(signed)
			if err != nil {
				return err
			}
			return p.Verify(signed, benchBody, &key.PublicKey, now)
		},
	}, nil
}

func (r *rates) signPerSec() (float64, error)   { return parallelRate(r.sign, r.d) }
func (r *rates) signMicros() (float64, error)   { return perOp(r.sign, r.d) }
func (r *rates) verifyPerSec() (float64, error) { return parallelRate(r.ver, r.d) }
