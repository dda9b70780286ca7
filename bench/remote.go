package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/practica-social/practica/federation/signing"
)

// The remote side of a case runs in a process of its own (`practica bench
// --remote`), so that the CPU time and memory the case measures are the
// instance's alone: the simulated remote instances (loopback listeners
// whose shared inbox reads the body and answers 202, or that accept
// connections and never answer) and the load generators (signed inbox
// POSTs, GETs). The case process drives it with one JSON request per line
// on its stdin and reads one JSON answer per line from its stdout.

// request is one command to the remote process.
type request struct {
	Op string `json:"op"`
	// listen: Live answering hosts and Dead silent ones; with Software
	// the live ones say in their NodeInfo that they run it.
	Live     int    `json:"live,omitempty"`
	Dead     int    `json:"dead,omitempty"`
	Software string `json:"software,omitempty"`
	// wait: until Count POSTs have arrived in all (or TimeoutMS passes);
	// the answer gives the time of POST number From and of the last one.
	Count     int `json:"count,omitempty"`
	From      int `json:"from,omitempty"`
	TimeoutMS int `json:"timeout_ms,omitempty"`
	// inbox-prepare, inbox-fire
	Inbox *inboxLoad `json:"inbox,omitempty"`
	Set   string     `json:"set,omitempty"`
	// get
	Get *getLoad `json:"get,omitempty"`
}

// response is the remote process's answer; Error is set on failure.
type response struct {
	Error string `json:"error,omitempty"`
	// listen
	Addrs []string `json:"addrs,omitempty"`
	// wait, events
	Count int     `json:"count,omitempty"`
	First int64   `json:"first,omitempty"`
	Last  int64   `json:"last,omitempty"`
	Times []int64 `json:"times,omitempty"`
	// inbox-fire, get
	Load *loadResult `json:"load,omitempty"`
}

// inboxLoad describes signed activities to POST to the instance's inbox.
type inboxLoad struct {
	URL         string      `json:"url"`
	Host        string      `json:"host"`
	Keys        []string    `json:"keys"`
	Actors      []loadActor `json:"actors"`
	Community   string      `json:"community"`
	Seed        string      `json:"seed"`
	Valid       int         `json:"valid"`
	Bad         int         `json:"bad"`
	Concurrency int         `json:"concurrency"`
}

type loadActor struct {
	IRI   string `json:"iri"`
	KeyID string `json:"key_id"`
	Key   int    `json:"key"`
}

// getLoad is GETs of URL by Clients clients for DurationMS.
type getLoad struct {
	URL        string `json:"url"`
	Host       string `json:"host"`
	Accept     string `json:"accept"`
	Clients    int    `json:"clients"`
	DurationMS int    `json:"duration_ms"`
}

// loadResult is what a load run saw.
type loadResult struct {
	Requests int         `json:"requests"`
	Status   map[int]int `json:"status"`
	Errors   int         `json:"errors"`
	FirstErr string      `json:"first_error,omitempty"`
	Start    int64       `json:"start"`
	End      int64       `json:"end"`
	P50us    float64     `json:"p50_us"`
	P99us    float64     `json:"p99_us"`
}

func (l *loadResult) seconds() float64 { return float64(l.End-l.Start) / 1e9 }

// ---- the remote process ----

type remoteProc struct {
	mu    sync.Mutex
	cond  *sync.Cond
	times []int64
	held  []net.Conn
	lists map[string][]prepared
	load  *inboxLoad
}

// prepared is one inbox POST, signed (or wrongly signed) in advance, as
// the bytes a client writes on the wire.
type prepared struct {
	wire []byte
}

// runRemote serves requests from in until it closes.
func runRemote(in io.Reader, out io.Writer) error {
	raiseFileLimit()
	rp := &remoteProc{lists: map[string][]prepared{}}
	rp.cond = sync.NewCond(&rp.mu)
	dec := json.NewDecoder(bufio.NewReader(in))
	enc := json.NewEncoder(out)
	for {
		var req request
		if err := dec.Decode(&req); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		resp := rp.handle(req)
		if err := enc.Encode(resp); err != nil {
			return err
		}
		if req.Op == "quit" {
			return nil
		}
	}
}

func (rp *remoteProc) handle(req request) (resp response) {
	var err error
	switch req.Op {
	case "listen":
		resp.Addrs, err = rp.listen(req.Live, req.Dead, req.Software)
	case "wait":
		resp = rp.wait(req.Count, req.From, time.Duration(req.TimeoutMS)*time.Millisecond)
	case "events":
		rp.mu.Lock()
		resp.Times = slices.Clone(rp.times)
		resp.Count = len(rp.times)
		rp.mu.Unlock()
	case "inbox-prepare":
		err = rp.prepareInbox(req.Inbox)
	case "inbox-fire":
		resp.Load, err = rp.fireInbox(req.Set)
	case "get":
		resp.Load, err = runGets(req.Get)
	case "quit":
	default:
		err = fmt.Errorf("unknown op %q", req.Op)
	}
	if err != nil {
		resp.Error = err.Error()
	}
	return resp
}

// listen opens live listeners whose every POST is read, counted and
// answered 202 (GETs get 404, but NodeInfo's when software is set), and
// dead ones that accept connections and never read or answer. Addresses
// come live first.
func (rp *remoteProc) listen(live, dead int, software string) ([]string, error) {
	addrs := make([]string, 0, live+dead)
	for range live {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				go rp.serveInbox(c, software)
			}
		}()
		addrs = append(addrs, l.Addr().String())
	}
	for range dead {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				rp.mu.Lock()
				rp.held = append(rp.held, c)
				rp.mu.Unlock()
			}
		}()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs, nil
}

// serveInbox answers the requests of one connection to a live simulated
// instance: http.ReadRequest, the body read, a fixed answer. Like the load
// generators (see rawConn), the simulated instances share the machine with
// the instance measured, so they spend as little as an HTTP/1.1 server
// can: net/http's server adds a response writer, a context and a
// background reader per request. With software set, it answers NodeInfo
// as a server that runs it.
func (rp *remoteProc) serveInbox(c net.Conn, software string) {
	const (
		accepted = "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
		notFound = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
	)
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Minute))
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		_, err = io.Copy(io.Discard, req.Body)
		if err != nil {
			return
		}
		answer := notFound
		if software != "" && req.Method == http.MethodGet {
			answer = nodeInfoAnswer(req, software, answer)
		}
		if req.Method == http.MethodPost {
			rp.mu.Lock()
			rp.times = append(rp.times, time.Now().UnixNano())
			rp.cond.Broadcast()
			rp.mu.Unlock()
			answer = accepted
		}
		if _, err := io.WriteString(c, answer); err != nil || req.Close {
			return
		}
	}
}

// nodeInfoAnswer is the answer to a NodeInfo GET of a simulated instance
// that runs software, or otherwise.
func nodeInfoAnswer(req *http.Request, software, otherwise string) string {
	const schema = "http://nodeinfo.diaspora.software/ns/schema/2.0"
	var body string
	switch req.URL.Path {
	case "/.well-known/nodeinfo":
		body = fmt.Sprintf(`{"links":[{"rel":%q,"href":"http://%s/nodeinfo/2.0"}]}`, schema, req.Host)
	case "/nodeinfo/2.0":
		body = fmt.Sprintf(`{"version":"2.0","software":{"name":%q,"version":"1.0.0"},"protocols":["activitypub"],"usage":{"users":{"total":10}},"openRegistrations":false}`, software)
	default:
		return otherwise
	}
	return fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
}

// wait blocks until count POSTs have arrived or timeout passes.
func (rp *remoteProc) wait(count, from int, timeout time.Duration) response {
	if timeout <= 0 {
		timeout = time.Minute
	}
	deadline := time.Now().Add(timeout)
	t := time.AfterFunc(timeout, func() {
		rp.mu.Lock()
		rp.cond.Broadcast()
		rp.mu.Unlock()
	})
	defer t.Stop()
	rp.mu.Lock()
	defer rp.mu.Unlock()
	for len(rp.times) < count && time.Now().Before(deadline) {
		rp.cond.Wait()
	}
	resp := response{Count: len(rp.times)}
	if from < len(rp.times) {
		resp.First = rp.times[from]
		resp.Last = rp.times[min(count, len(rp.times))-1]
	}
	if len(rp.times) < count {
		resp.Error = fmt.Sprintf("timed out after %s with %d of %d POSTs", timeout, len(rp.times), count)
	}
	return resp
}

// prepareInbox builds the POSTs of an inbox load in advance: signing costs
// C_sign each and is the remote's cost, not the instance's. Sets:
// "warm-valid" (one per actor), "valid", "warm-bad" (two per actor) and
// "bad" (right Digest and Date, a signature that does not match).
func (rp *remoteProc) prepareInbox(l *inboxLoad) error {
	if l == nil {
		return errors.New("no inbox load")
	}
	keys := make([]*rsa.PrivateKey, len(l.Keys))
	for i, pemText := range l.Keys {
		k, err := signing.ParsePrivateKey(pemText)
		if err != nil {
			return err
		}
		keys[i] = k
	}
	rp.load = l
	n := 0
	build := func(count int, perActor int, valid bool) ([]prepared, error) {
		total := count
		if perActor > 0 {
			total = perActor * len(l.Actors)
		}
		out := make([]prepared, total)
		var wg sync.WaitGroup
		var firstErr atomic.Value
		var next atomic.Int64
		base := n
		n += total
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1) - 1)
					if i >= total {
						return
					}
					a := l.Actors[i%len(l.Actors)]
					p, err := prepareOne(l, a, keys[a.Key], base+i, valid)
					if err != nil {
						firstErr.CompareAndSwap(nil, err)
						return
					}
					out[i] = p
				}
			}()
		}
		wg.Wait()
		if err, _ := firstErr.Load().(error); err != nil {
			return nil, err
		}
		return out, nil
	}
	var err error
	if rp.lists["warm-valid"], err = build(0, 1, true); err != nil {
		return err
	}
	if rp.lists["valid"], err = build(l.Valid, 0, true); err != nil {
		return err
	}
	if rp.lists["warm-bad"], err = build(0, 2, false); err != nil {
		return err
	}
	rp.lists["bad"], err = build(l.Bad, 0, false)
	return err
}

// prepareOne builds activity number i of actor a as a signed POST.
func prepareOne(l *inboxLoad, a loadActor, key *rsa.PrivateKey, i int, valid bool) (prepared, error) {
	const public = "https://www.w3.org/ns/activitystreams#Public"
	id := fmt.Sprintf("%s/activities/%s-%d", a.IRI, l.Seed, i)
	note := map[string]any{
		"id": fmt.Sprintf("%s/notes/%s-%d", a.IRI, l.Seed, i), "type": "Note", "attributedTo": a.IRI,
		"to": []string{public}, "cc": []string{l.Community}, "audience": l.Community,
		"content":   fmt.Sprintf("<p>Benchmark note %d. Compost heats up when the mix of greens and browns is right, the pile is moist like a wrung-out sponge and it is turned every week or two; a pile that smells of ammonia wants more browns.</p>", i),
		"published": time.Now().UTC().Format(time.RFC3339),
	}
	act := map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams", "id": id, "type": "Create", "actor": a.IRI,
		"to": []string{public}, "cc": []string{l.Community}, "audience": l.Community, "object": note,
	}
	body, err := json.Marshal(act)
	if err != nil {
		return prepared{}, err
	}
	r, err := http.NewRequest(http.MethodPost, l.URL, nil)
	if err != nil {
		return prepared{}, err
	}
	r.Host = l.Host
	r.Header.Set("Content-Type", signing.ActivityContentType)
	if valid {
		if err := signing.NewSigner(a.KeyID, key).SignPost(r, body, time.Now()); err != nil {
			return prepared{}, err
		}
	} else {
		sum := sha256.Sum256(body)
		r.Header.Set("Digest", "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]))
		r.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
		junk := make([]byte, 256)
		_, _ = rand.Read(junk)
		r.Header.Set("Signature", fmt.Sprintf(`keyId=%q,algorithm="rsa-sha256",headers="(request-target) host date digest",signature=%q`,
			a.KeyID, base64.StdEncoding.EncodeToString(junk)))
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	var wire bytes.Buffer
	if err := r.Write(&wire); err != nil {
		return prepared{}, err
	}
	return prepared{wire: wire.Bytes()}, nil
}

// fireInbox POSTs a prepared set with the load's concurrency, each client
// on a keep-alive connection of its own (see rawConn).
func (rp *remoteProc) fireInbox(set string) (*loadResult, error) {
	list, ok := rp.lists[set]
	if !ok || rp.load == nil {
		return nil, fmt.Errorf("no prepared set %q", set)
	}
	l := rp.load
	u, err := url.Parse(l.URL)
	if err != nil {
		return nil, err
	}
	conns := make([]*rawConn, l.Concurrency)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.close()
			}
		}
	}()
	var next atomic.Int64
	return runLoad(l.Concurrency, func() bool { return int(next.Load()) < len(list) }, func(ctx context.Context, worker int) (int, error) {
		i := int(next.Add(1) - 1)
		if i >= len(list) {
			return -1, nil
		}
		if conns[worker] == nil {
			conns[worker] = &rawConn{addr: u.Host}
		}
		return conns[worker].do(list[i].wire)
	})
}

// rawConn is a load generator's HTTP/1.1 keep-alive connection that writes
// requests serialised in advance and reads the answers with
// http.ReadResponse. The load generators share the machine with the
// instance they measure, so what they spend is taken from it: net/http's
// Transport costs about 50 µs of CPU per request here (a goroutine
// hand-off per request and per connection, a request copy, header
// writing), this about a fifth of that. wrk and similar tools exist for the
// same reason.
type rawConn struct {
	addr string
	c    net.Conn
	br   *bufio.Reader
}

// do writes one request and returns the answer's status, dialling (again)
// when there is no open connection or the server closed it.
func (rc *rawConn) do(wire []byte) (int, error) {
	for attempt := 0; ; attempt++ {
		code, retry, err := rc.try(wire)
		if err == nil || !retry || attempt == 1 {
			return code, err
		}
	}
}

// try is one attempt of do; retry says whether a fresh connection may
// succeed (a kept-alive connection the server closed meanwhile).
func (rc *rawConn) try(wire []byte) (code int, retry bool, err error) {
	reused := rc.c != nil
	if !reused {
		c, err := net.DialTimeout("tcp", rc.addr, 10*time.Second)
		if err != nil {
			return 0, false, err
		}
		rc.c, rc.br = c, bufio.NewReaderSize(c, 4096)
	}
	_ = rc.c.SetDeadline(time.Now().Add(time.Minute))
	if _, err := rc.c.Write(wire); err != nil {
		rc.close()
		return 0, reused, err
	}
	resp, err := http.ReadResponse(rc.br, nil)
	if err != nil {
		rc.close()
		// A kept-alive connection the server closed meanwhile ends in EOF
		// or a reset.
		return 0, reused && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)), err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.Close {
		rc.close()
	}
	return resp.StatusCode, false, err
}

func (rc *rawConn) close() {
	if rc.c != nil {
		_ = rc.c.Close()
		rc.c, rc.br = nil, nil
	}
}

// runGets GETs one URL with many clients for a while.
func runGets(g *getLoad) (*loadResult, error) {
	if g == nil {
		return nil, errors.New("no get load")
	}
	client := loadClient(g.Clients)
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(time.Duration(g.DurationMS) * time.Millisecond)
	return runLoad(g.Clients, func() bool { return time.Now().Before(deadline) }, func(ctx context.Context, _ int) (int, error) {
		if !time.Now().Before(deadline) {
			return -1, nil
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.URL, nil)
		if err != nil {
			return 0, err
		}
		req.Host = g.Host
		if g.Accept != "" {
			req.Header.Set("Accept", g.Accept)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	})
}

// runLoad runs do on n goroutines (worker 0 to n-1) while more says so (do
// returns -1 when there is nothing left) and collects statuses and
// latencies.
func runLoad(n int, more func() bool, do func(ctx context.Context, worker int) (int, error)) (*loadResult, error) {
	ctx := context.Background()
	res := &loadResult{Status: map[int]int{}}
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	res.Start = time.Now().UnixNano()
	for worker := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			status := map[int]int{}
			errs, firstErr := 0, ""
			for more() {
				t := time.Now()
				code, err := do(ctx, worker)
				if code == -1 {
					break
				}
				if err != nil {
					errs++
					if firstErr == "" {
						firstErr = err.Error()
					}
					continue
				}
				mine = append(mine, time.Since(t))
				status[code]++
			}
			mu.Lock()
			lat = append(lat, mine...)
			for k, v := range status {
				res.Status[k] += v
			}
			res.Errors += errs
			if res.FirstErr == "" {
				res.FirstErr = firstErr
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.End = time.Now().UnixNano()
	res.Requests = len(lat) + res.Errors
	slices.Sort(lat)
	if len(lat) > 0 {
		res.P50us = float64(lat[len(lat)/2].Microseconds())
		res.P99us = float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())
	}
	return res, nil
}

// loadClient keeps one connection per client alive.
func loadClient(n int) *http.Client {
	return &http.Client{
		Timeout: time.Minute,
		Transport: &http.Transport{
			Proxy: nil, MaxIdleConns: n * 2, MaxIdleConnsPerHost: n * 2, IdleConnTimeout: time.Minute,
			DisableCompression: true,
		},
	}
}

// ---- the case process's side ----

// remoteClient drives a remote process.
type remoteClient struct {
	mu  sync.Mutex
	cmd *exec.Cmd
	in  io.WriteCloser
	enc *json.Encoder
	dec *json.Decoder
}

// startRemote starts `practica bench --remote` (this same executable).
func startRemote(stderr io.Writer) (*remoteClient, error) {
	cmd, err := selfCommand("--remote")
	if err != nil {
		return nil, err
	}
	cmd.Stderr = stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start remote process: %w", err)
	}
	return &remoteClient{cmd: cmd, in: in, enc: json.NewEncoder(in), dec: json.NewDecoder(bufio.NewReader(out))}, nil
}

// call sends one request and waits for its answer.
func (r *remoteClient) call(req request) (response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.enc.Encode(req); err != nil {
		return response{}, fmt.Errorf("remote %s: %w", req.Op, err)
	}
	var resp response
	if err := r.dec.Decode(&resp); err != nil {
		return response{}, fmt.Errorf("remote %s: %w", req.Op, err)
	}
	if resp.Error != "" {
		return resp, fmt.Errorf("remote %s: %s", req.Op, resp.Error)
	}
	return resp, nil
}

// close stops the remote process.
func (r *remoteClient) close() {
	_, _ = r.call(request{Op: "quit"})
	_ = r.in.Close()
	done := make(chan struct{})
	go func() { _ = r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = r.cmd.Process.Kill()
		<-done
	}
}

// selfCommand runs this executable as `practica bench args…`. The
// environment variable tells a test binary, which has no `bench` command,
// to run the benchmark's Main instead of its tests.
func selfCommand(args ...string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, append([]string{"bench"}, args...)...)
	cmd.Env = append(os.Environ(), EnvChild+"=1")
	return cmd, nil
}
