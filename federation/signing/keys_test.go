package signing

import (
	"crypto/ed25519"
	"crypto/rsa"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readTestdata returns a file from testdata. The private keys there are
// throwaway keys made for these tests with openssl; they sign nothing real.
func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read testdata: %v", err)
	}
	return string(b)
}

// testKey returns a throwaway RSA key from testdata ("a" or "b").
func testKey(t testing.TB, which string) *rsa.PrivateKey {
	t.Helper()
	k, err := ParsePrivateKey(readTestdata(t, "rsa_"+which+".pem"))
	if err != nil {
		t.Fatalf("parse test key %s: %v", which, err)
	}
	return k
}

func TestGenerateKeyRoundTrip(t *testing.T) {
	privPEM, pubPEM, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(privPEM, "-----BEGIN PRIVATE KEY-----") {
		t.Errorf("private key is not PKCS#8 PEM: %.40q", privPEM)
	}
	if !strings.HasPrefix(pubPEM, "-----BEGIN PUBLIC KEY-----") {
		t.Errorf("public key is not PKIX PEM: %.40q", pubPEM)
	}
	priv, err := ParsePrivateKey(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	if priv.N.BitLen() != 2048 {
		t.Errorf("key has %d bits, want 2048", priv.N.BitLen())
	}
	pub, err := ParsePublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !priv.PublicKey.Equal(pub) {
		t.Error("public key does not belong to the private key")
	}
}

func TestParsePrivateKeyFormats(t *testing.T) {
	pkcs8, err := ParsePrivateKey(readTestdata(t, "rsa_a.pem"))
	if err != nil {
		t.Fatalf("PKCS#8: %v", err)
	}
	pkcs1, err := ParsePrivateKey(readTestdata(t, "rsa_a_pkcs1.pem"))
	if err != nil {
		t.Fatalf("PKCS#1: %v", err)
	}
	if !pkcs8.Equal(pkcs1) {
		t.Error("PKCS#1 and PKCS#8 forms of the same key differ")
	}
	for name, text := range map[string]string{
		"empty":       "",
		"not PEM":     "hello",
		"public key":  readTestdata(t, "rsa_a_pub.pem"),
		"ed25519 key": readTestdata(t, "ed25519.pem"),
		"bad bytes":   "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
	} {
		if _, err := ParsePrivateKey(text); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestParsePublicKeyFormats(t *testing.T) {
	priv := testKey(t, "a")
	for _, name := range []string{"rsa_a_pub.pem", "rsa_a_pub_pkcs1.pem"} {
		pub, err := ParsePublicKey(readTestdata(t, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !priv.PublicKey.Equal(pub) {
			t.Errorf("%s: wrong key", name)
		}
	}
	// Peers embed the PEM in JSON; surrounding whitespace must not matter.
	if _, err := ParsePublicKey("\n  " + readTestdata(t, "rsa_a_pub.pem") + "\n"); err != nil {
		t.Errorf("PEM with surrounding whitespace: %v", err)
	}
	pub, err := ParsePublicKey(readTestdata(t, "ed25519_pub.pem"))
	if err != nil {
		t.Fatalf("ed25519: %v", err)
	}
	if _, ok := pub.(ed25519.PublicKey); !ok {
		t.Errorf("ed25519 key parsed as %T", pub)
	}
	for name, text := range map[string]string{
		"empty":        "",
		"private key":  readTestdata(t, "rsa_a.pem"),
		"1024-bit RSA": readTestdata(t, "rsa_1024_pub.pem"),
		"bad bytes":    "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
	} {
		if _, err := ParsePublicKey(text); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
