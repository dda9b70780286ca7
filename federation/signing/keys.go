// Package signing implements the HTTP Signatures (draft-cavage) that
// ActivityPub servers use to authenticate each other, plus the Digest and Date
// checks that github.com/go-fed/httpsig leaves to its caller.
//
// Signing and verifying are deliberately symmetric: what SignPost and SignGet
// produce is what Parse and Verify accept, and both follow what Mastodon sends
// and expects, since it is the implementation every peer interoperates with.
package signing

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// keyBits is the RSA key size used for actor keys: Mastodon and Lemmy
// generate and expect 2048-bit keys, and larger keys make every signature
// several times slower on a fan-out path that signs once per inbox.
const keyBits = 2048

// minRSABits is the smallest RSA modulus we accept from peers. Anything
// smaller can be factored by a determined attacker.
const minRSABits = 2048

// GenerateKey creates a fresh RSA-2048 key pair and returns the private key as
// a PKCS#8 "PRIVATE KEY" PEM block and the public key as a PKIX "PUBLIC KEY"
// PEM block, the form published in an actor's publicKeyPem.
func GenerateKey() (privPEM, pubPEM string, err error) {
	key, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return "", "", fmt.Errorf("generate RSA key: %w", err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", fmt.Errorf("marshal private key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return "", "", fmt.Errorf("marshal public key: %w", err)
	}
	privPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}))
	pubPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	return privPEM, pubPEM, nil
}

// ParsePrivateKey reads an RSA private key from PEM, accepting both PKCS#1
// ("RSA PRIVATE KEY", what older servers and openssl genrsa write) and PKCS#8
// ("PRIVATE KEY", what GenerateKey writes).
func ParsePrivateKey(pemText string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(pemText)))
	if block == nil {
		return nil, errors.New("parse private key: no PEM block found")
	}
	if x509.IsEncryptedPEMBlock(block) { //nolint:staticcheck // only to give a clear error
		return nil, errors.New("parse private key: encrypted PEM is not supported")
	}
	// Try the format the label announces first, then the other one: keys
	// copied between tools are often mislabelled.
	var parsers []func([]byte) (*rsa.PrivateKey, error)
	pkcs1 := x509.ParsePKCS1PrivateKey
	pkcs8 := func(der []byte) (*rsa.PrivateKey, error) {
		k, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, err
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("PKCS#8 key is %T, not RSA", k)
		}
		return rk, nil
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		parsers = append(parsers, pkcs1, pkcs8)
	case "PRIVATE KEY":
		parsers = append(parsers, pkcs8, pkcs1)
	default:
		return nil, fmt.Errorf("parse private key: unexpected PEM type %q", block.Type)
	}
	var firstErr error
	for _, parse := range parsers {
		k, err := parse(block.Bytes)
		if err == nil {
			return k, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, fmt.Errorf("parse private key: %w", firstErr)
}

// ParsePublicKey reads a public key from PEM as found in an actor's
// publicKeyPem. It accepts PKIX "PUBLIC KEY" (RSA or Ed25519) and PKCS#1
// "RSA PUBLIC KEY". The result is an *rsa.PublicKey or an ed25519.PublicKey.
// RSA keys shorter than 2048 bits are refused.
func ParsePublicKey(pemText string) (crypto.PublicKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(pemText)))
	if block == nil {
		return nil, errors.New("parse public key: no PEM block found")
	}
	var (
		key crypto.PublicKey
		err error
	)
	switch block.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			// Some servers publish PKCS#1 bytes under the PKIX label.
			if k, err1 := x509.ParsePKCS1PublicKey(block.Bytes); err1 == nil {
				key, err = k, nil
			}
		}
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			if k, err1 := x509.ParsePKIXPublicKey(block.Bytes); err1 == nil {
				key, err = k, nil
			}
		}
	default:
		return nil, fmt.Errorf("parse public key: unexpected PEM type %q", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	switch k := key.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSABits {
			return nil, fmt.Errorf("parse public key: RSA key of %d bits is too short", k.N.BitLen())
		}
		return k, nil
	case ed25519.PublicKey:
		return k, nil
	default:
		return nil, fmt.Errorf("parse public key: unsupported key type %T", key)
	}
}
