// Package config loads Practica's typed configuration from PRACTICA_*
// environment variables and an optional KEY=VALUE file.
//
// Everything is validated up front so that a typo fails at start-up with a
// one-line message naming the setting, instead of surfacing later as a
// broken actor id or a connection error deep inside a worker.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/redis/go-redis/v9"
	"golang.org/x/net/idna"
)

// Names of the settings, identical in the environment and in the file.
const (
	// EnvConfig names the configuration file read when Load gets no path.
	EnvConfig = "PRACTICA_CONFIG"
	// EnvDomain is the setting behind Config.Domain.
	EnvDomain = "PRACTICA_DOMAIN"
	// EnvListen is the setting behind Config.Listen.
	EnvListen = "PRACTICA_LISTEN"
	// EnvProtocol is the setting behind Config.Protocol.
	EnvProtocol = "PRACTICA_PROTOCOL"
	// EnvDataDir is the setting behind Config.DataDir.
	EnvDataDir = "PRACTICA_DATA_DIR"
	// EnvDatabaseURL is the setting behind Config.DatabaseURL.
	EnvDatabaseURL = "PRACTICA_DATABASE_URL"
	// EnvRedisURL is the setting behind Config.RedisURL.
	EnvRedisURL = "PRACTICA_REDIS_URL"
	// EnvAllowPrivateAddresses is the setting behind Config.AllowPrivateAddresses.
	EnvAllowPrivateAddresses = "PRACTICA_ALLOW_PRIVATE_ADDRESSES"
	// EnvQueuePrefix is the setting behind Config.QueuePrefix.
	EnvQueuePrefix = "PRACTICA_QUEUE_PREFIX"
	// EnvLogLevel is the setting behind Config.LogLevel.
	EnvLogLevel = "PRACTICA_LOG_LEVEL"
	// EnvInstanceName is the setting behind Config.InstanceName.
	EnvInstanceName = "PRACTICA_INSTANCE_NAME"
	// EnvShutdownTimeout is the setting behind Config.ShutdownTimeout.
	EnvShutdownTimeout = "PRACTICA_SHUTDOWN_TIMEOUT"
	// EnvWorkerConcurrency is the setting behind Config.WorkerConcurrency.
	EnvWorkerConcurrency = "PRACTICA_WORKER_CONCURRENCY"
	// EnvInboxConcurrency is the setting behind Config.InboxConcurrency.
	EnvInboxConcurrency = "PRACTICA_INBOX_CONCURRENCY"
	// EnvFetchConcurrency is the setting behind Config.FetchConcurrency.
	EnvFetchConcurrency = "PRACTICA_FETCH_CONCURRENCY"
)

// Defaults applied by Load when a setting is unset or empty.
const (
	// DefaultListen keeps a fresh install off the network until the operator
	// chooses to expose it.
	DefaultListen = "127.0.0.1:8080"
	// DefaultDataDir is relative to the working directory.
	DefaultDataDir = "./data"
	// DefaultLogLevel is the LogLevel used when none is set.
	DefaultLogLevel = "info"
	// DefaultInstanceName is the InstanceName used when none is set.
	DefaultInstanceName = "Practica"
	// DefaultShutdownTimeout leaves an in-flight delivery its whole
	// SendDeadline plus a margin to record the outcome.
	DefaultShutdownTimeout = 40 * time.Second
	// DefaultWorkerConcurrency is the WorkerConcurrency used when none is set.
	DefaultWorkerConcurrency = 20
	// DefaultInboxConcurrency is the InboxConcurrency used when none is
	// set. Received activities are processed in batches of up to 128, so
	// a few batches at once keep two cores and the database busy.
	DefaultInboxConcurrency = 8
	// DefaultFetchConcurrency is the FetchConcurrency used when none is
	// set: few, since each waits on other servers rather than computes,
	// and each is a burst of requests to one origin.
	DefaultFetchConcurrency = 4
	// SendDeadline is the longest a single outgoing federation request may
	// take; ShutdownTimeout must exceed it or a graceful shutdown would cut
	// deliveries off mid-request and make them be retried as failures.
	SendDeadline = 30 * time.Second
	// SQLiteFileName is the database file created in DataDir when no
	// DatabaseURL is set.
	SQLiteFileName = "practica.db"
)

// maxFileSize bounds the configuration file; anything larger is certainly
// not a hand-written settings file and reading it whole would be wasteful.
const maxFileSize = 1 << 20

// Config is the validated configuration of one Practica process.
//
// Methods work on any Config, including literals built by tests, because
// they derive their answers from the exported fields alone.
type Config struct {
	// Domain is the host name, with an optional port, in every actor id:
	// lower-case, punycode, no trailing dot, and no port when the port is
	// the protocol's default. PRACTICA_DOMAIN.
	Domain string
	// Listen is the host:port the HTTP server binds. PRACTICA_LISTEN.
	Listen string
	// Protocol is "https" or "http". PRACTICA_PROTOCOL.
	Protocol string
	// DataDir holds the SQLite database and other local state.
	// PRACTICA_DATA_DIR.
	DataDir string
	// DatabaseURL is a postgres://, postgresql:// or sqlite: URL; empty
	// selects the SQLite file DataDir/practica.db. PRACTICA_DATABASE_URL.
	DatabaseURL string
	// RedisURL is a redis:// or rediss:// URL; empty selects an embedded
	// in-process Redis. PRACTICA_REDIS_URL.
	RedisURL string
	// AllowPrivateAddresses lists networks that outgoing federation requests
	// may reach even though they are private or loopback.
	// PRACTICA_ALLOW_PRIVATE_ADDRESSES.
	AllowPrivateAddresses []netip.Prefix
	// QueuePrefix is prepended to asynq queue names so several instances
	// can share one Redis. PRACTICA_QUEUE_PREFIX.
	QueuePrefix string
	// LogLevel is debug, info, warn or error. PRACTICA_LOG_LEVEL.
	LogLevel string
	// InstanceName is the human-readable name of the server.
	// PRACTICA_INSTANCE_NAME.
	InstanceName string
	// ShutdownTimeout bounds a graceful shutdown. PRACTICA_SHUTDOWN_TIMEOUT.
	ShutdownTimeout time.Duration
	// WorkerConcurrency is the number of tasks a worker runs at once.
	// PRACTICA_WORKER_CONCURRENCY.
	WorkerConcurrency int
	// InboxConcurrency is the number of batches of received activities a
	// worker processes at once, in a pool of its own so that a flood of
	// received activities cannot hold every worker while posts wait to
	// go out. PRACTICA_INBOX_CONCURRENCY.
	InboxConcurrency int
	// FetchConcurrency is the number of received replies a worker
	// process fetches the missing thread of at once, in a pool of its
	// own so that slow or silent origins hold neither the inbox's
	// workers nor the senders'. PRACTICA_FETCH_CONCURRENCY.
	FetchConcurrency int
}

// Error is a configuration problem naming the setting at fault. Its Error
// method always returns a single line, so it can go straight into a log
// record or a terminal without breaking either.
type Error struct {
	// Setting is the PRACTICA_* name at fault.
	Setting string
	// Problem says what is wrong, without the secret parts of the value.
	Problem string

	err error
}

// Error returns "config: SETTING: problem" on one line.
func (e *Error) Error() string {
	msg := "config: " + e.Setting + ": " + e.Problem
	// Problems quote values with %q, but an underlying OS or parser message
	// could still carry a line break; a multi-line error would split log
	// records.
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, msg)
}

// Unwrap returns the underlying cause, such as a file-system error, if any.
func (e *Error) Unwrap() error { return e.err }

func settingError(setting, format string, args ...any) *Error {
	return &Error{Setting: setting, Problem: fmt.Sprintf(format, args...)}
}

// knownKeys lists every setting a configuration file may contain.
func knownKeys() []string {
	return []string{
		EnvDomain, EnvListen, EnvProtocol, EnvDataDir, EnvDatabaseURL,
		EnvRedisURL, EnvAllowPrivateAddresses, EnvQueuePrefix, EnvLogLevel,
		EnvInstanceName, EnvShutdownTimeout, EnvWorkerConcurrency,
		EnvInboxConcurrency,
		EnvFetchConcurrency,
	}
}

// Load builds a Config from the optional file at path and from the
// environment reached through lookup (os.LookupEnv in production), the
// environment taking precedence. When path is empty, PRACTICA_CONFIG from
// lookup names the file, if set. Defaults are then applied and everything is
// validated; the first problem found is returned as an *Error.
//
// An environment variable that is set but empty counts as unset, because
// compose files and shells routinely pass "${X}" through as an empty string
// and that must not wipe out a value from the file. Unknown PRACTICA_*
// environment variables are ignored; unknown keys in the file are refused.
//
// Load has no side effects: it does not create DataDir or open anything
// other than the file.
func Load(lookup func(string) (string, bool), path string) (Config, error) {
	raw := map[string]string{}
	if path == "" {
		if p, ok := lookup(EnvConfig); ok {
			path = strings.TrimSpace(p)
		}
	}
	if path != "" {
		fileValues, err := readFile(path)
		if err != nil {
			return Config{}, err
		}
		raw = fileValues
	}
	for _, key := range knownKeys() {
		if v, ok := lookup(key); ok && strings.TrimSpace(v) != "" {
			raw[key] = v
		}
	}
	return build(raw)
}

// build applies defaults to the merged raw settings and validates them.
// Settings are checked in dependency order (Domain needs Listen and
// Protocol), so the first error reported is the root cause.
func build(raw map[string]string) (Config, error) {
	get := func(key string) string { return strings.TrimSpace(raw[key]) }
	var c Config

	c.Listen = orDefault(get(EnvListen), DefaultListen)
	listenHost, listenPort, err := parseListen(c.Listen)
	if err != nil {
		return Config{}, err
	}

	protocolSet := get(EnvProtocol) != ""
	if protocolSet {
		c.Protocol = strings.ToLower(get(EnvProtocol))
		if c.Protocol != "http" && c.Protocol != "https" {
			return Config{}, settingError(EnvProtocol, "invalid protocol %q (want https or http)", get(EnvProtocol))
		}
	}

	if d := get(EnvDomain); d != "" {
		if !protocolSet {
			c.Protocol = "https"
		}
		c.Domain, err = normalizeDomain(d, c.Protocol)
		if err != nil {
			return Config{}, err
		}
	} else {
		// Ids minted now are permanent, so only guess a domain when the
		// server is plainly a local development one; anywhere else the
		// guess would be wrong forever.
		if !isLocalListenHost(listenHost) {
			return Config{}, settingError(EnvDomain, "required when %s (%q) is not a loopback or unspecified address", EnvListen, c.Listen)
		}
		if !protocolSet {
			// A browser on the same machine reaches the dev server over
			// plain HTTP, so ids must say http to be clickable.
			c.Protocol = "http"
		}
		c.Domain, err = normalizeDomain(net.JoinHostPort("localhost", listenPort), c.Protocol)
		if err != nil {
			return Config{}, err
		}
	}

	c.DataDir = orDefault(get(EnvDataDir), DefaultDataDir)

	c.DatabaseURL = get(EnvDatabaseURL)
	if err := validateDatabaseURL(c.DatabaseURL); err != nil {
		return Config{}, err
	}

	c.RedisURL = get(EnvRedisURL)
	if err := validateRedisURL(c.RedisURL); err != nil {
		return Config{}, err
	}

	c.AllowPrivateAddresses, err = parsePrefixes(get(EnvAllowPrivateAddresses))
	if err != nil {
		return Config{}, err
	}

	c.QueuePrefix = get(EnvQueuePrefix)
	if err := validateQueuePrefix(c.QueuePrefix); err != nil {
		return Config{}, err
	}

	c.LogLevel = strings.ToLower(orDefault(get(EnvLogLevel), DefaultLogLevel))
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return Config{}, settingError(EnvLogLevel, "invalid level %q (want debug, info, warn or error)", get(EnvLogLevel))
	}

	c.InstanceName = orDefault(get(EnvInstanceName), DefaultInstanceName)
	if strings.IndexFunc(c.InstanceName, unicode.IsControl) >= 0 {
		return Config{}, settingError(EnvInstanceName, "must not contain control characters such as line breaks")
	}

	c.ShutdownTimeout = DefaultShutdownTimeout
	if v := get(EnvShutdownTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return Config{}, settingError(EnvShutdownTimeout, "invalid duration %q (use a unit, e.g. 40s or 1m)", v)
		}
		if d <= SendDeadline {
			return Config{}, settingError(EnvShutdownTimeout, "%s must be longer than the %s send deadline", d, SendDeadline)
		}
		c.ShutdownTimeout = d
	}

	if c.WorkerConcurrency, err = positiveSetting(get, EnvWorkerConcurrency, DefaultWorkerConcurrency); err != nil {
		return Config{}, err
	}
	if c.InboxConcurrency, err = positiveSetting(get, EnvInboxConcurrency, DefaultInboxConcurrency); err != nil {
		return Config{}, err
	}
	if c.FetchConcurrency, err = positiveSetting(get, EnvFetchConcurrency, DefaultFetchConcurrency); err != nil {
		return Config{}, err
	}

	return c, nil
}

// positiveSetting reads the whole positive number set in env, or def
// when it is unset.
func positiveSetting(get func(string) string, env string, def int) (int, error) {
	v := get(env)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, settingError(env, "invalid value %q (want a positive whole number)", v)
	}
	return n, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// parseListen checks that listen is host:port with a numeric port; the host
// may be empty (all interfaces), an IP or a name.
func parseListen(listen string) (host, port string, err error) {
	host, port, err = net.SplitHostPort(listen)
	if err != nil {
		return "", "", settingError(EnvListen, "invalid address %q (want host:port, e.g. 127.0.0.1:8080)", listen)
	}
	if strings.ContainsFunc(host, unicode.IsSpace) {
		return "", "", settingError(EnvListen, "invalid host %q", host)
	}
	if _, err := parsePort(port); err != nil {
		return "", "", settingError(EnvListen, "invalid port %q (want 1-65535)", port)
	}
	return host, port, nil
}

// isLocalListenHost reports whether a server bound to host is only, or at
// least also, reachable as localhost.
func isLocalListenHost(host string) bool {
	if host == "" || strings.EqualFold(host, "localhost") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	return addr.IsLoopback() || addr.IsUnspecified()
}

// parsePort accepts only plain decimal 1-65535, because strconv.Atoi alone
// would let "+80" through and service names would depend on /etc/services.
func parsePort(s string) (int, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("port %q is not a number", s)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %q out of range", s)
	}
	return n, nil
}

// normalizeDomain turns the operator's spelling of the domain into the one
// canonical form used in ids. Two spellings of one host would otherwise mint
// two sets of ids that remote servers treat as different actors.
func normalizeDomain(raw, protocol string) (string, error) {
	fail := func(format string, args ...any) (string, error) {
		return "", settingError(EnvDomain, format, args...)
	}
	switch {
	case strings.Contains(raw, "://"):
		return fail("%q must be a host name, not a URL (drop the scheme; use %s for http/https)", raw, EnvProtocol)
	case strings.ContainsAny(raw, "/?#\\"):
		return fail("%q must be a host name without a path", raw)
	case strings.Contains(raw, "@"):
		return fail("%q must not contain user information", raw)
	case strings.ContainsFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return fail("%q must not contain spaces", raw)
	case strings.HasPrefix(raw, "["):
		return fail("%q is an IP address; use a DNS name", raw)
	}

	host, port := raw, ""
	if i := strings.LastIndexByte(raw, ':'); i >= 0 {
		host, port = raw[:i], raw[i+1:]
		n, err := parsePort(port)
		if err != nil {
			return fail("invalid port %q in %q (want 1-65535)", port, raw)
		}
		port = strconv.Itoa(n)
	}

	host = strings.TrimSuffix(host, ".")
	if host == "" {
		return fail("%q has no host name", raw)
	}
	if _, err := netip.ParseAddr(host); err != nil && strings.Contains(host, ":") {
		// A second colon means an unbracketed IPv6 literal or garbage.
		return fail("%q must be a host name with at most one :port", raw)
	} else if err == nil {
		return fail("%q is an IP address; use a DNS name", raw)
	}

	profile := idna.New(
		idna.MapForLookup(), // lower-cases and NFC-normalises, STD3 rules
		idna.BidiRule(),
		idna.VerifyDNSLength(true),
		idna.Transitional(false),
	)
	ascii, err := profile.ToASCII(host)
	if err != nil {
		return fail("invalid host name %q: %v", host, err)
	}
	// Mapping can turn look-alike full stops into ".", so the trailing-dot
	// rule and the IP check must hold for the mapped form too.
	ascii = strings.TrimSuffix(ascii, ".")
	if _, err := netip.ParseAddr(ascii); err == nil {
		return fail("%q is an IP address; use a DNS name", raw)
	}

	if (protocol == "https" && port == "443") || (protocol == "http" && port == "80") {
		port = ""
	}
	if port == "" {
		return ascii, nil
	}
	return ascii + ":" + port, nil
}

// databaseScheme classifies a database URL by its scheme, case-insensitively.
// It returns "" for an empty URL.
func databaseScheme(u string) (scheme string, rest string, ok bool) {
	if u == "" {
		return "", "", true
	}
	i := strings.IndexByte(u, ':')
	if i <= 0 {
		return "", "", false
	}
	return strings.ToLower(u[:i]), u[i+1:], true
}

func validateDatabaseURL(raw string) error {
	scheme, rest, ok := databaseScheme(raw)
	if !ok {
		return settingError(EnvDatabaseURL, "not a URL (want postgres:// or sqlite:)")
	}
	switch scheme {
	case "":
		return nil
	case "postgres", "postgresql":
		if !strings.HasPrefix(rest, "//") {
			return settingError(EnvDatabaseURL, "want %s://[user[:password]@]host[:port]/dbname", scheme)
		}
		if _, err := parseURL(raw); err != nil {
			return settingError(EnvDatabaseURL, "%v", err)
		}
		return nil
	case "sqlite":
		if _, err := sqlitePath(rest); err != nil {
			return settingError(EnvDatabaseURL, "%v", err)
		}
		return nil
	default:
		return settingError(EnvDatabaseURL, "unsupported scheme %q (want postgres:// or sqlite:)", scheme)
	}
}

// sqlitePath extracts the file path from the part of a sqlite: URL after the
// scheme. It is done by hand because net/url would treat "sqlite:rel/x.db"
// as opaque and percent-decode nothing, while "sqlite://x.db" would silently
// turn the file name into a host.
func sqlitePath(rest string) (string, error) {
	p := rest
	if strings.HasPrefix(rest, "//") {
		after := rest[2:]
		if !strings.HasPrefix(after, "/") {
			return "", fmt.Errorf("sqlite URL has a host; use sqlite:///absolute/path or sqlite:relative/path")
		}
		p = after
	}
	if strings.ContainsAny(p, "?#") {
		return "", fmt.Errorf("sqlite URL must be a plain file path without ? or # parts")
	}
	if p == "" || p == "/" {
		return "", fmt.Errorf("sqlite URL has no file path")
	}
	return p, nil
}

// parseURL parses raw without letting a password leak into the error.
// url.Parse quotes the whole input, and even its inner message can quote a
// piece of a password: an unencoded "#" or "/" in the password moves the
// rest of it into the port ("invalid port \":s3cr3t\""). So when the URL
// has user information the detail is replaced by advice.
func parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err == nil {
		return u, nil
	}
	if strings.Contains(raw, "@") {
		return nil, errors.New("unparsable URL (percent-encode special characters such as @ : / # ? in the user name and password)")
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return nil, fmt.Errorf("unparsable URL: %w", ue.Err)
	}
	return nil, errors.New("unparsable URL")
}

func validateRedisURL(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := parseURL(raw)
	if err != nil {
		return settingError(EnvRedisURL, "%v", err)
	}
	switch u.Scheme {
	case "redis", "rediss":
	case "":
		return settingError(EnvRedisURL, "not a URL (want redis:// or rediss://)")
	default:
		return settingError(EnvRedisURL, "unsupported scheme %q (want redis:// or rediss://)", u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		// go-redis would quietly fall back to localhost, which inside a
		// container is never the Redis the operator meant.
		return settingError(EnvRedisURL, "missing host (want %s://host:port/db)", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if _, err := parsePort(p); err != nil {
			return settingError(EnvRedisURL, "invalid port %q (want 1-65535)", p)
		}
	}
	// go-redis knows the path and query options; its messages never quote
	// the user information.
	opts, err := redis.ParseURL(raw)
	if err != nil {
		return settingError(EnvRedisURL, "%s", strings.TrimPrefix(err.Error(), "redis: "))
	}
	if opts.DB < 0 {
		return settingError(EnvRedisURL, "invalid database number %d", opts.DB)
	}
	return nil
}

// parsePrefixes reads a comma-separated list of CIDRs or bare addresses.
// Prefixes are masked so that "10.1.2.3/8" and "10.0.0.0/8" compare equal.
func parsePrefixes(raw string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for item := range strings.SplitSeq(raw, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if strings.Contains(item, "/") {
			p, err := netip.ParsePrefix(item)
			if err != nil {
				return nil, settingError(EnvAllowPrivateAddresses, "invalid CIDR %q", item)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, settingError(EnvAllowPrivateAddresses, "invalid address %q (want a CIDR like 10.0.0.0/8 or an IP)", item)
		}
		if a.Zone() != "" {
			// Zones name a local interface, which a dialled address's
			// prefix can never match.
			return nil, settingError(EnvAllowPrivateAddresses, "address %q must not have a zone", item)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// validateQueuePrefix keeps the prefix to characters that are safe inside
// asynq's Redis key names; braces, for instance, would change Redis Cluster
// hash-slot assignment.
func validateQueuePrefix(p string) error {
	const maxLen = 64
	if len(p) > maxLen {
		return settingError(EnvQueuePrefix, "longer than %d characters", maxLen)
	}
	for _, r := range p {
		ok := ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') || strings.ContainsRune("-_.:", r)
		if !ok {
			return settingError(EnvQueuePrefix, "invalid character %q (want letters, digits, - _ . :)", r)
		}
	}
	return nil
}

// BaseURL returns the scheme and authority every local id starts with, such
// as "https://example.org", without a trailing slash.
func (c Config) BaseURL() string {
	return c.Protocol + "://" + c.Domain
}

// DatabaseDialect returns "postgres" for a postgres:// or postgresql://
// DatabaseURL and "sqlite" otherwise.
func (c Config) DatabaseDialect() string {
	switch scheme, _, _ := databaseScheme(c.DatabaseURL); scheme {
	case "postgres", "postgresql":
		return "postgres"
	default:
		return "sqlite"
	}
}

// SQLitePath returns the SQLite database file: the path from a sqlite:
// DatabaseURL (relative paths are relative to the working directory, not to
// DataDir), or DataDir/practica.db when DatabaseURL is empty. It returns ""
// when the dialect is postgres.
func (c Config) SQLitePath() string {
	scheme, rest, _ := databaseScheme(c.DatabaseURL)
	switch scheme {
	case "":
		return filepath.Join(c.DataDir, SQLiteFileName)
	case "sqlite":
		p, err := sqlitePath(rest)
		if err != nil {
			return ""
		}
		return filepath.FromSlash(p)
	default:
		return ""
	}
}

// EmbeddedRedis reports whether the process should run its own in-memory
// Redis instead of connecting to RedisURL.
func (c Config) EmbeddedRedis() bool {
	return c.RedisURL == ""
}

// SlogLevel returns LogLevel as a slog.Level, defaulting to info for a value
// Load would have refused.
func (c Config) SlogLevel() slog.Level {
	switch c.LogLevel {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

// LogValue lets the whole Config be logged at start-up without leaking the
// passwords in DatabaseURL and RedisURL.
func (c Config) LogValue() slog.Value {
	prefixes := make([]string, len(c.AllowPrivateAddresses))
	for i, p := range c.AllowPrivateAddresses {
		prefixes[i] = p.String()
	}
	return slog.GroupValue(
		slog.String("domain", c.Domain),
		slog.String("listen", c.Listen),
		slog.String("protocol", c.Protocol),
		slog.String("data_dir", c.DataDir),
		slog.String("database_url", redactURL(c.DatabaseURL)),
		slog.String("redis_url", redactURL(c.RedisURL)),
		slog.String("allow_private_addresses", strings.Join(prefixes, ",")),
		slog.String("queue_prefix", c.QueuePrefix),
		slog.String("log_level", c.LogLevel),
		slog.String("instance_name", c.InstanceName),
		slog.Duration("shutdown_timeout", c.ShutdownTimeout),
		slog.Int("worker_concurrency", c.WorkerConcurrency),
	)
}

// redactURL hides the password of a URL. It never returns the raw input
// when parsing fails, since an unparsable URL may still hold a secret.
func redactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable)"
	}
	// libpq-style URLs may also carry the password as a query parameter.
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
