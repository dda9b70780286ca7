package config

import (
	"errors"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// env turns a map into a lookup function, standing in for os.LookupEnv.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "practica.env")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// mustLoad loads from an environment map alone and fails the test on error.
func mustLoad(t *testing.T, m map[string]string) Config {
	t.Helper()
	c, err := Load(env(m), "")
	if err != nil {
		t.Fatalf("Load(%v): %v", m, err)
	}
	return c
}

// asError checks that err is a one-line *Error naming setting.
func asError(t *testing.T, err error, setting string) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error naming %s, got nil", setting)
	}
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("want *Error, got %T: %v", err, err)
	}
	if ce.Setting != setting {
		t.Fatalf("error names %q, want %q (message: %s)", ce.Setting, setting, err)
	}
	msg := err.Error()
	if strings.ContainsAny(msg, "\r\n") {
		t.Fatalf("error message is not one line: %q", msg)
	}
	if want := "config: " + setting + ": "; !strings.HasPrefix(msg, want) || len(msg) == len(want) {
		t.Fatalf("error message %q does not start with %q followed by a problem", msg, want)
	}
	return ce
}

func TestLoadDefaults(t *testing.T) {
	c := mustLoad(t, map[string]string{})
	want := Config{
		Domain:            "localhost:8080",
		Listen:            "127.0.0.1:8080",
		Protocol:          "http",
		DataDir:           "./data",
		LogLevel:          "info",
		InstanceName:      "Practica",
		ShutdownTimeout:   40 * time.Second,
		WorkerConcurrency: 20,
		InboxConcurrency:  8,
		FetchConcurrency:  4,
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("defaults:\n got %+v\nwant %+v", c, want)
	}
	if got := c.BaseURL(); got != "http://localhost:8080" {
		t.Errorf("BaseURL() = %q", got)
	}
	if got := c.DatabaseDialect(); got != "sqlite" {
		t.Errorf("DatabaseDialect() = %q", got)
	}
	if got, want := c.SQLitePath(), filepath.Join("data", "practica.db"); got != want {
		t.Errorf("SQLitePath() = %q, want %q", got, want)
	}
	if !c.EmbeddedRedis() {
		t.Error("EmbeddedRedis() = false with no PRACTICA_REDIS_URL")
	}
	if c.SlogLevel() != slog.LevelInfo {
		t.Errorf("SlogLevel() = %v", c.SlogLevel())
	}
}

func TestDomainAndProtocolDefaults(t *testing.T) {
	tests := []struct {
		name         string
		env          map[string]string
		wantDomain   string
		wantProtocol string
	}{
		{"explicit domain defaults to https", map[string]string{EnvDomain: "example.org"}, "example.org", "https"},
		{"explicit localhost domain still https", map[string]string{EnvDomain: "localhost:8080"}, "localhost:8080", "https"},
		{"explicit protocol kept with derived domain", map[string]string{EnvProtocol: "HTTPS"}, "localhost:8080", "https"},
		{"unspecified listen gives localhost", map[string]string{EnvListen: "0.0.0.0:9000"}, "localhost:9000", "http"},
		{"empty listen host gives localhost", map[string]string{EnvListen: ":9001"}, "localhost:9001", "http"},
		{"ipv6 loopback listen", map[string]string{EnvListen: "[::1]:9002"}, "localhost:9002", "http"},
		{"localhost listen", map[string]string{EnvListen: "localhost:9003"}, "localhost:9003", "http"},
		{"default port dropped for http", map[string]string{EnvListen: "127.0.0.1:80"}, "localhost", "http"},
		{"public listen with explicit domain", map[string]string{EnvListen: "192.0.2.1:8080", EnvDomain: "example.org"}, "example.org", "https"},
		{"empty env value counts as unset", map[string]string{EnvDomain: "", EnvProtocol: " "}, "localhost:8080", "http"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, tt.env)
			if c.Domain != tt.wantDomain || c.Protocol != tt.wantProtocol {
				t.Fatalf("got %s://%s, want %s://%s", c.Protocol, c.Domain, tt.wantProtocol, tt.wantDomain)
			}
			if c.BaseURL() != tt.wantProtocol+"://"+tt.wantDomain {
				t.Fatalf("BaseURL() = %q", c.BaseURL())
			}
		})
	}
}

func TestDomainNormalisation(t *testing.T) {
	tests := []struct{ in, protocol, want string }{
		{"Example.ORG", "", "example.org"},
		{"example.org.", "", "example.org"},
		{"  example.org  ", "", "example.org"},
		{"EXAMPLE.org.:8443", "", "example.org:8443"},
		{"bücher.example", "", "xn--bcher-kva.example"},
		{"BÜCHER.Example.", "", "xn--bcher-kva.example"},
		{"xn--bcher-kva.example", "", "xn--bcher-kva.example"},
		{"例え.テスト", "", "xn--r8jz45g.xn--zckzah"},
		{"example.org:443", "https", "example.org"},
		{"example.org:80", "http", "example.org"},
		{"example.org:80", "https", "example.org:80"},
		{"example.org:08080", "", "example.org:8080"},
		{"localhost", "", "localhost"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			m := map[string]string{EnvDomain: tt.in}
			if tt.protocol != "" {
				m[EnvProtocol] = tt.protocol
			}
			c := mustLoad(t, m)
			if c.Domain != tt.want {
				t.Fatalf("Domain = %q, want %q", c.Domain, tt.want)
			}
		})
	}
}

func TestInvalidSettings(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		setting string
	}{
		{"domain with scheme", map[string]string{EnvDomain: "https://example.org"}, EnvDomain},
		{"domain with path", map[string]string{EnvDomain: "example.org/social"}, EnvDomain},
		{"domain with userinfo", map[string]string{EnvDomain: "me@example.org"}, EnvDomain},
		{"domain with space", map[string]string{EnvDomain: "exa mple.org"}, EnvDomain},
		{"domain with newline", map[string]string{EnvDomain: "example.org\nevil"}, EnvDomain},
		{"domain port zero", map[string]string{EnvDomain: "example.org:0"}, EnvDomain},
		{"domain port too big", map[string]string{EnvDomain: "example.org:65536"}, EnvDomain},
		{"domain port not a number", map[string]string{EnvDomain: "example.org:http"}, EnvDomain},
		{"domain empty port", map[string]string{EnvDomain: "example.org:"}, EnvDomain},
		{"domain two colons", map[string]string{EnvDomain: "a:1:2"}, EnvDomain},
		{"domain leading hyphen", map[string]string{EnvDomain: "-bad.example"}, EnvDomain},
		{"domain underscore", map[string]string{EnvDomain: "bad_name.example"}, EnvDomain},
		{"domain empty label", map[string]string{EnvDomain: "a..example"}, EnvDomain},
		{"domain only dot", map[string]string{EnvDomain: "."}, EnvDomain},
		{"domain label too long", map[string]string{EnvDomain: strings.Repeat("a", 64) + ".example"}, EnvDomain},
		{"domain ipv4", map[string]string{EnvDomain: "192.0.2.1:8080"}, EnvDomain},
		{"domain ipv6", map[string]string{EnvDomain: "[2001:db8::1]:8080"}, EnvDomain},
		{"domain needed for public listen", map[string]string{EnvListen: "192.0.2.1:8080"}, EnvDomain},
		{"domain needed for named listen", map[string]string{EnvListen: "example.org:8080"}, EnvDomain},
		{"listen without port", map[string]string{EnvListen: "127.0.0.1"}, EnvListen},
		{"listen bad port", map[string]string{EnvListen: "127.0.0.1:http"}, EnvListen},
		{"listen port zero", map[string]string{EnvListen: "127.0.0.1:0"}, EnvListen},
		{"protocol", map[string]string{EnvProtocol: "ftp"}, EnvProtocol},
		{"database mysql", map[string]string{EnvDatabaseURL: "mysql://u:p@h/db"}, EnvDatabaseURL},
		{"database not a url", map[string]string{EnvDatabaseURL: "host=db user=practica"}, EnvDatabaseURL},
		{"database bare path", map[string]string{EnvDatabaseURL: "/var/lib/practica.db"}, EnvDatabaseURL},
		{"database postgres opaque", map[string]string{EnvDatabaseURL: "postgres:db"}, EnvDatabaseURL},
		{"database postgres bad port", map[string]string{EnvDatabaseURL: "postgres://u:p@db:port/x"}, EnvDatabaseURL},
		{"database sqlite with host", map[string]string{EnvDatabaseURL: "sqlite://practica.db"}, EnvDatabaseURL},
		{"database sqlite empty", map[string]string{EnvDatabaseURL: "sqlite:"}, EnvDatabaseURL},
		{"database sqlite query", map[string]string{EnvDatabaseURL: "sqlite:x.db?mode=ro"}, EnvDatabaseURL},
		{"redis scheme", map[string]string{EnvRedisURL: "http://redis:6379"}, EnvRedisURL},
		{"redis unix", map[string]string{EnvRedisURL: "unix:///run/redis.sock"}, EnvRedisURL},
		{"redis no scheme", map[string]string{EnvRedisURL: "redis:6379"}, EnvRedisURL},
		{"redis no host", map[string]string{EnvRedisURL: "redis:///0"}, EnvRedisURL},
		{"redis bad port", map[string]string{EnvRedisURL: "redis://redis:abc/0"}, EnvRedisURL},
		{"redis bad db", map[string]string{EnvRedisURL: "redis://redis:6379/zero"}, EnvRedisURL},
		{"redis negative db", map[string]string{EnvRedisURL: "redis://redis:6379/-1"}, EnvRedisURL},
		{"redis unknown option", map[string]string{EnvRedisURL: "redis://redis:6379/0?bogus=1"}, EnvRedisURL},
		{"cidr bits", map[string]string{EnvAllowPrivateAddresses: "10.0.0.0/33"}, EnvAllowPrivateAddresses},
		{"cidr garbage", map[string]string{EnvAllowPrivateAddresses: "10.0.0.0/8,nope"}, EnvAllowPrivateAddresses},
		{"cidr zone", map[string]string{EnvAllowPrivateAddresses: "fe80::1%eth0"}, EnvAllowPrivateAddresses},
		{"queue prefix braces", map[string]string{EnvQueuePrefix: "{a}"}, EnvQueuePrefix},
		{"queue prefix too long", map[string]string{EnvQueuePrefix: strings.Repeat("q", 65)}, EnvQueuePrefix},
		{"log level", map[string]string{EnvLogLevel: "verbose"}, EnvLogLevel},
		{"instance name control", map[string]string{EnvInstanceName: "a\nb"}, EnvInstanceName},
		{"shutdown no unit", map[string]string{EnvShutdownTimeout: "40"}, EnvShutdownTimeout},
		{"shutdown garbage", map[string]string{EnvShutdownTimeout: "soon"}, EnvShutdownTimeout},
		{"shutdown not above send deadline", map[string]string{EnvShutdownTimeout: "30s"}, EnvShutdownTimeout},
		{"shutdown negative", map[string]string{EnvShutdownTimeout: "-1m"}, EnvShutdownTimeout},
		{"concurrency zero", map[string]string{EnvWorkerConcurrency: "0"}, EnvWorkerConcurrency},
		{"concurrency negative", map[string]string{EnvWorkerConcurrency: "-3"}, EnvWorkerConcurrency},
		{"concurrency word", map[string]string{EnvWorkerConcurrency: "many"}, EnvWorkerConcurrency},
		{"inbox concurrency zero", map[string]string{EnvInboxConcurrency: "0"}, EnvInboxConcurrency},
		{"inbox concurrency word", map[string]string{EnvInboxConcurrency: "few"}, EnvInboxConcurrency},
		{"fetch concurrency zero", map[string]string{EnvFetchConcurrency: "0"}, EnvFetchConcurrency},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.env), "")
			asError(t, err, tt.setting)
			if !reflect.DeepEqual(c, Config{}) {
				t.Errorf("Load returned a non-zero Config alongside an error: %+v", c)
			}
		})
	}
}

func TestErrorMessages(t *testing.T) {
	_, err := Load(env(map[string]string{EnvDatabaseURL: "mysql://u:p@h/db"}), "")
	want := `config: PRACTICA_DATABASE_URL: unsupported scheme "mysql" (want postgres:// or sqlite:)`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}

	// Secrets in URLs must not reach logs through error messages.
	for _, tt := range []struct{ key, value string }{
		{EnvDatabaseURL, "postgres://practica:s3cr3t@db:bad/practica"},
		// An unencoded # makes url.Parse see the password as a port.
		{EnvDatabaseURL, "postgres://practica:s3cr3t#x@db/practica"},
		{EnvRedisURL, "redis://:s3cr3t@redis:6379/zero"},
		{EnvRedisURL, "redis://:s3cr3t/x@redis:6379/0"},
	} {
		_, err := Load(env(map[string]string{tt.key: tt.value}), "")
		asError(t, err, tt.key)
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%s error leaks the password: %s", tt.key, err)
		}
	}

	// Even a Problem carrying a line break is rendered on one line.
	e := &Error{Setting: "X", Problem: "a\nb\r\nc"}
	if strings.ContainsAny(e.Error(), "\r\n") {
		t.Errorf("Error() = %q", e.Error())
	}
}

func TestValidValues(t *testing.T) {
	c := mustLoad(t, map[string]string{
		EnvDomain:                "social.example",
		EnvListen:                "0.0.0.0:3000",
		EnvDataDir:               "/var/lib/practica",
		EnvDatabaseURL:           "postgres://practica:pw@db:5432/practica?sslmode=disable",
		EnvRedisURL:              "rediss://:pw@redis.internal:6380/2",
		EnvAllowPrivateAddresses: " 10.1.2.3/8, 192.168.1.5 ,fd00::/8,::1,",
		EnvQueuePrefix:           "blue:",
		EnvLogLevel:              "DEBUG",
		EnvInstanceName:          "My Server",
		EnvShutdownTimeout:       "2m",
		EnvWorkerConcurrency:     "5",
		EnvInboxConcurrency:      "3",
		EnvFetchConcurrency:      "2",
	})
	wantPrefixes := []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("192.168.1.5/32"),
		netip.MustParsePrefix("fd00::/8"),
		netip.MustParsePrefix("::1/128"),
	}
	if !reflect.DeepEqual(c.AllowPrivateAddresses, wantPrefixes) {
		t.Errorf("AllowPrivateAddresses = %v, want %v", c.AllowPrivateAddresses, wantPrefixes)
	}
	if c.BaseURL() != "https://social.example" {
		t.Errorf("BaseURL() = %q", c.BaseURL())
	}
	if c.DatabaseDialect() != "postgres" || c.SQLitePath() != "" {
		t.Errorf("dialect %q, sqlite path %q", c.DatabaseDialect(), c.SQLitePath())
	}
	if c.EmbeddedRedis() {
		t.Error("EmbeddedRedis() = true with a RedisURL")
	}
	if c.LogLevel != "debug" || c.SlogLevel() != slog.LevelDebug {
		t.Errorf("LogLevel = %q / %v", c.LogLevel, c.SlogLevel())
	}
	if c.ShutdownTimeout != 2*time.Minute || c.WorkerConcurrency != 5 || c.InboxConcurrency != 3 || c.FetchConcurrency != 2 || c.QueuePrefix != "blue:" || c.InstanceName != "My Server" {
		t.Errorf("unexpected values: %+v", c)
	}
}

func TestDatabaseURLs(t *testing.T) {
	tests := []struct {
		url, dialect, sqlitePath string
	}{
		{"postgres://u:p@db/practica", "postgres", ""},
		{"postgresql://db/practica", "postgres", ""},
		{"POSTGRES://db/practica", "postgres", ""},
		{"sqlite:///var/lib/practica/p.db", "sqlite", filepath.FromSlash("/var/lib/practica/p.db")},
		{"sqlite:relative/p.db", "sqlite", filepath.FromSlash("relative/p.db")},
		{"sqlite:./p.db", "sqlite", filepath.FromSlash("./p.db")},
		{"sqlite:/abs/p.db", "sqlite", filepath.FromSlash("/abs/p.db")},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			c := mustLoad(t, map[string]string{EnvDatabaseURL: tt.url, EnvDataDir: "/elsewhere"})
			if c.DatabaseDialect() != tt.dialect || c.SQLitePath() != tt.sqlitePath {
				t.Fatalf("dialect %q path %q, want %q %q", c.DatabaseDialect(), c.SQLitePath(), tt.dialect, tt.sqlitePath)
			}
		})
	}
}

func TestEnvOverridesFile(t *testing.T) {
	path := writeFile(t, `# Practica settings
export PRACTICA_DOMAIN=file.example

PRACTICA_INSTANCE_NAME = "Quoted # Name"
PRACTICA_LOG_LEVEL='warn'
PRACTICA_DATABASE_URL=postgres://u:pa%23ss@db/practica
PRACTICA_WORKER_CONCURRENCY=7
`)
	m := map[string]string{
		EnvDomain:            "env.example",
		EnvWorkerConcurrency: "", // empty must not wipe the file's value
		"PRACTICA_UNKNOWN":   "ignored in the environment",
	}

	check := func(t *testing.T, c Config) {
		t.Helper()
		if c.Domain != "env.example" {
			t.Errorf("Domain = %q, want the environment's value", c.Domain)
		}
		if c.InstanceName != "Quoted # Name" {
			t.Errorf("InstanceName = %q", c.InstanceName)
		}
		if c.LogLevel != "warn" {
			t.Errorf("LogLevel = %q", c.LogLevel)
		}
		if c.DatabaseURL != "postgres://u:pa%23ss@db/practica" {
			t.Errorf("DatabaseURL = %q", c.DatabaseURL)
		}
		if c.WorkerConcurrency != 7 {
			t.Errorf("WorkerConcurrency = %d", c.WorkerConcurrency)
		}
	}

	t.Run("explicit path", func(t *testing.T) {
		c, err := Load(env(m), path)
		if err != nil {
			t.Fatal(err)
		}
		check(t, c)
	})
	t.Run("PRACTICA_CONFIG", func(t *testing.T) {
		withConfig := map[string]string{EnvConfig: path}
		for k, v := range m {
			withConfig[k] = v
		}
		c, err := Load(env(withConfig), "")
		if err != nil {
			t.Fatal(err)
		}
		check(t, c)
	})
	t.Run("file alone", func(t *testing.T) {
		c, err := Load(env(nil), path)
		if err != nil {
			t.Fatal(err)
		}
		if c.Domain != "file.example" || c.Protocol != "https" {
			t.Errorf("got %s, want https://file.example", c.BaseURL())
		}
	})
}

func TestFileErrors(t *testing.T) {
	tests := []struct {
		name, content, setting string
	}{
		{"unknown key", "PRACTICA_DOMAIN=example.org\nPRACTICA_DOMIAN=example.org\n", "PRACTICA_DOMIAN"},
		{"non-practica key", "HOME=/root\n", "HOME"},
		{"no equals", "PRACTICA_DOMAIN example.org\n", EnvConfig},
		{"empty key", "=example.org\n", EnvConfig},
		{"config inside file", "PRACTICA_CONFIG=/etc/other\n", EnvConfig},
		{"duplicate", "PRACTICA_LOG_LEVEL=info\nPRACTICA_LOG_LEVEL=debug\n", EnvLogLevel},
		{"unterminated quote", "PRACTICA_INSTANCE_NAME=\"Practica\n", EnvInstanceName},
		{"invalid value from file", "PRACTICA_PROTOCOL=gopher\n", EnvProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(nil), writeFile(t, tt.content))
			asError(t, err, tt.setting)
		})
	}

	t.Run("typo suggestion", func(t *testing.T) {
		_, err := Load(env(nil), writeFile(t, "practica_domain=example.org\n"))
		ce := asError(t, err, "practica_domain")
		if !strings.Contains(ce.Problem, "did you mean PRACTICA_DOMAIN?") {
			t.Errorf("no suggestion in %q", ce.Problem)
		}
	})

	t.Run("missing file", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "nope.env")
		_, err := Load(env(map[string]string{EnvConfig: missing}), "")
		asError(t, err, EnvConfig)
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("error %v does not wrap fs.ErrNotExist", err)
		}
	})

	t.Run("windows line endings and BOM", func(t *testing.T) {
		c, err := Load(env(nil), writeFile(t, "\uFEFFPRACTICA_DOMAIN=example.org\r\nPRACTICA_LOG_LEVEL=error\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		if c.Domain != "example.org" || c.LogLevel != "error" {
			t.Errorf("got %+v", c)
		}
	})
}

func TestLogValueRedactsSecrets(t *testing.T) {
	c := Config{
		DatabaseURL: "postgres://practica:s3cr3t@db/practica?password=s3cr3t",
		RedisURL:    "redis://:s3cr3t@redis:6379/0",
	}
	got := c.LogValue().String()
	if strings.Contains(got, "s3cr3t") {
		t.Fatalf("LogValue leaks a password: %s", got)
	}
	if !strings.Contains(got, "db/practica") || !strings.Contains(got, "redis:6379") {
		t.Fatalf("LogValue lost the non-secret parts: %s", got)
	}
}
