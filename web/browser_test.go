package web_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/practica-social/practica/models"
	"github.com/practica-social/practica/testrig"
)

const chromiumPath = "/usr/bin/chromium"

// chrome is a headless Chromium driven by chromedp, pointed at test
// instances by host name: --host-resolver-rules maps each instance's name
// to its loopback port, so pages, links and cookies carry the real host.
type chrome struct {
	t   *testing.T
	ctx context.Context
}

// newChrome starts a browser that reaches the given instances. Without
// Chromium the test is skipped, unless PRACTICA_TEST_REQUIRE_SERVICES=1.
func newChrome(t *testing.T, insts ...*testrig.Instance) *chrome {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv(testrig.EnvRequireServices) == "1" {
			t.Fatalf("%s is missing but %s=1; run .ci/setup-chromium", chromiumPath, testrig.EnvRequireServices)
		}
		t.Skipf("browser test skipped: %s is missing (run .ci/setup-chromium to install it)", chromiumPath)
	}
	var rules []string
	for _, in := range insts {
		_, port, err := net.SplitHostPort(in.Addr)
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, fmt.Sprintf("MAP %s 127.0.0.1:%s", in.Host, port))
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("host-resolver-rules", strings.Join(rules, ", ")),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &chrome{t: t, ctx: ctx}
}

// do runs steps, failing the test with what was asked.
func (c *chrome) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	if err := chromedp.Do(c.ctx, steps...); err != nil {
		loc, _ := chromedp.Run(c.ctx, chromedp.Location())
		body, _ := chromedp.Run(c.ctx, chromedp.Text(chromedp.CSS("main")))
		c.t.Fatalf("%s: %v (at %s)\n%s", what, err, loc, body)
	}
}

// open loads a URL and waits for its main landmark.
func (c *chrome) open(url string) {
	c.t.Helper()
	c.do("open "+url, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("main")))
}

// submit clicks a form's button and waits until the next page shows sel.
func (c *chrome) submit(what, button, sel string) {
	c.t.Helper()
	c.do(what, chromedp.Click(chromedp.CSS(button)), chromedp.WaitVisible(chromedp.CSS(sel)))
}

// text is the visible text of the first element matching sel.
func (c *chrome) text(sel string) string {
	c.t.Helper()
	s, err := chromedp.Run(c.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		c.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// wantText fails unless the element's text contains want.
func (c *chrome) wantText(sel, want string) {
	c.t.Helper()
	if got := c.text(sel); !strings.Contains(got, want) {
		c.t.Fatalf("%s shows %q, want it to contain %q", sel, got, want)
	}
}

// screenshot saves the viewport as docs/screenshots/NAME.png when
// PRACTICA_SCREENSHOTS=1, so ordinary runs leave the tree clean.
func (c *chrome) screenshot(name string) {
	c.t.Helper()
	if os.Getenv("PRACTICA_SCREENSHOTS") != "1" {
		return
	}
	png, err := chromedp.Run(c.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		c.t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join("..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		c.t.Fatal(err)
	}
}

// login logs in on an instance through its form.
func (c *chrome) login(inst *testrig.Instance, user, password string) {
	c.t.Helper()
	c.open(inst.BaseURL + "/login")
	c.do("fill log-in form",
		chromedp.SendKeys(chromedp.ID("identifier"), user),
		chromedp.SendKeys(chromedp.ID("password"), password))
	c.submit("log in", `main form button[type=submit]`, `nav[aria-label=Account] .me`)
}

// logout logs out through the header's button.
func (c *chrome) logout() {
	c.t.Helper()
	c.submit("log out", `nav[aria-label=Account] button`, `nav[aria-label=Account] a[href="/signup"]`)
}

// openCommunity opens a community's page by handle ("name" on inst, or
// "name@host" for one on another server) and waits for its threads.
func (c *chrome) openCommunity(inst *testrig.Instance, handle string) {
	c.t.Helper()
	c.open(inst.BaseURL + "/c/" + handle)
	c.do("community page "+handle, chromedp.WaitVisible(chromedp.ID("threads-h")))
}

// signup creates an account through the sign-up form.
func (c *chrome) signup(inst *testrig.Instance, user, password string) {
	c.t.Helper()
	c.open(inst.BaseURL + "/signup")
	c.do("fill sign-up form",
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("display_name"), strings.ToUpper(user[:1])+user[1:]+" Lovelace"),
		chromedp.SendKeys(chromedp.ID("organization"), "Analytical Engines Ltd"),
		chromedp.SendKeys(chromedp.ID("email"), user+"@example.org"),
		chromedp.SendKeys(chromedp.ID("password"), password))
	c.screenshot("signup")
	c.submit("sign up", `main form button[type=submit]`, `#settings-h`)
}

func TestBrowserJourney(t *testing.T) {
	t.Parallel()
	n := testrig.NewNetwork()
	a := n.Start(t, "org-a.test")
	s := &site{t: t, net: n, inst: a}
	s.setMode(models.SignupOpen)
	c := newChrome(t, a)

	// Sign up; the welcome page is the profile form.
	c.signup(a, "ada", "correct horse battery")
	c.wantText("main", "Welcome!")
	c.do("fill profile",
		chromedp.SendKeys(chromedp.ID("expertise"), "metalwork, 3D printing"),
		chromedp.SendKeys(chromedp.ID("bio"), "I run the **maker space** at the library."))
	c.screenshot("settings")
	c.submit("save profile", `main form button[type=submit]`, `#saved`)
	c.wantText("#saved", "saved")

	// Log out and in again.
	c.logout()
	c.login(a, "ada", "correct horse battery")

	// Create a community.
	c.open(a.BaseURL + "/communities/new")
	c.do("fill community form",
		chromedp.SendKeys(chromedp.ID("handle"), "makers"),
		chromedp.SendKeys(chromedp.ID("name"), "Makers Network"),
		chromedp.SendKeys(chromedp.ID("summary"), "Makers from libraries, schools and companies share how they run **open workshops**."),
		chromedp.SendKeys(chromedp.ID("topics"), "workshops, safety, 3D printing"))
	c.submit("create community", `main form button[type=submit]`, `#threads-h`)
	c.wantText("h1", "Makers Network")

	// Start a thread.
	c.submit("open thread form", `a[href="/c/makers/new"]`, `#title`)
	c.do("fill thread form",
		chromedp.SendKeys(chromedp.ID("title"), "Induction for new members"),
		chromedp.SendKeys(chromedp.ID("body"), "How do you introduce newcomers to the **laser cutter**?\n\n- safety talk\n- supervised first job"))
	c.submit("post thread", `main form button[type=submit]`, `.thread-root`)
	c.wantText(".post-title", "Induction for new members")
	thread, err := chromedp.Run(c.ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}

	// A second person signs up, joins and replies.
	c.logout()
	c.signup(a, "ben", "another long password")
	c.openCommunity(a, "makers")
	c.submit("join", `form[action="/c/makers/join"] button`, `a[href="/c/makers/new"]`)
	c.open(thread)
	c.do("write reply", chromedp.SendKeys(chromedp.ID("body"), "We pair each newcomer with a **buddy** for the first month."))
	c.submit("post reply", `form[action$="/reply"] button`, `ol.replies .post`)
	c.wantText("ol.replies", "buddy")
	c.wantText("#replies-h", "1 reply")

	// Ada sees the reply marked new on her next visit.
	c.logout()
	c.login(a, "ada", "correct horse battery")
	c.openCommunity(a, "makers")
	c.wantText(".threads", "1 new")
	c.screenshot("community")
	c.open(thread)
	c.wantText("ol.replies", "New")
	c.do("scroll to replies", chromedp.ScrollIntoView(chromedp.CSS("#replies-h")))
	c.screenshot("thread")

	c.open(a.BaseURL + "/")
	c.wantText(".cards", "Makers Network")
	c.screenshot("home")
	c.open(a.BaseURL + "/explore?q=workshops")
	c.wantText(".cards", "Makers Network")
	c.screenshot("explore")
}
