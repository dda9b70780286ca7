package content

import (
	"encoding/json"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/html"
)

// xssVectors are the inputs of security checklist row 15, in the shapes
// they take in the wild: plain, mixed case, entity-encoded, and hidden in
// SVG, images and styles.
func xssVectors() []string {
	return []string{
		`<script>alert(1)</script>`,
		`<SCRIPT SRC=//evil.example/x.js></SCRIPT>`,
		`<ScRiPt>alert(1)</sCrIpT>`,
		`<scr<script>ipt>alert(1)</script>`,
		`<a href="javascript:alert(1)">x</a>`,
		`<a href="JaVaScRiPt:alert(1)">x</a>`,
		`<a href="java&#x73;cript:alert(1)">x</a>`,
		`<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>`,
		`<a href="&#x6A;avascript&colon;alert(1)">x</a>`,
		`<a href=" javascript:alert(1)">x</a>`,
		"<a href=\"java\tscript:alert(1)\">x</a>",
		"<a href=\"java\x00script:alert(1)\">x</a>",
		`<a href="vbscript:msgbox(1)">x</a>`,
		`<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`,
		`<a href="DATA:text/html,<script>alert(1)</script>">x</a>`,
		`<p style="background:url(javascript:alert(1))">x</p>`,
		`<span style="position:fixed;top:0;left:0;width:100%;height:100%">x</span>`,
		`<svg onload=alert(1)>`,
		`<svg><script>alert(1)</script></svg>`,
		`<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>`,
		`<img src=x onerror=alert(1)>`,
		`<IMG SRC="javascript:alert(1)">`,
		`<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">`,
		`<p onclick="alert(1)" OnMouseOver="alert(2)">x</p>`,
		`<a href="https://ok.example" onmouseover="alert(1)" class="mention" style="color:red" target="_top">x</a>`,
		`<iframe src="https://evil.example"></iframe>`,
		`<iframe srcdoc="<script>alert(1)</script>"></iframe>`,
		`<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">`,
		`<form action="javascript:alert(1)"><input type=submit></form>`,
		`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
		`<style>@import 'https://evil.example/x.css';</style>`,
		`<link rel=stylesheet href="https://evil.example/x.css"><meta http-equiv="refresh" content="0;url=javascript:alert(1)">`,
		`<base href="https://evil.example/">`,
		`<a href="https://ok.example/" rel="opener">x</a>`,
		`<blockquote cite="javascript:alert(1)">q</blockquote>`,
		`<details open ontoggle=alert(1)>`,
		`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
		`<!--<img src=x onerror=alert(1)>-->`,
		`<div><p>x</div><script>alert(1)</script>`,
	}
}

// allowedAttrs lists what may appear on each element of sanitised output.
func allowedAttrs() map[string][]string {
	return map[string][]string{
		"a": {"href", "class", "rel"}, "span": {"class"}, "ol": {"start"},
		"p": nil, "br": nil, "strong": nil, "b": nil, "em": nil, "i": nil, "u": nil, "s": nil, "del": nil,
		"code": nil, "pre": nil, "blockquote": nil, "ul": nil, "li": nil,
		"h1": nil, "h2": nil, "h3": nil, "h4": nil, "h5": nil, "h6": nil, "hr": nil, "sup": nil, "sub": nil,
	}
}

// checkSafe fails if out could run script or restyle the page: any
// "<script" at all, any element or attribute outside the allow-list, any
// on… attribute, any link that is not http, https or mailto (so no
// javascript: or data:), or a link without the forced rel. "javascript:" as
// inert text is allowed: the text "javascript: the good parts" is a title,
// not an attack, and is escaped like all text.
func checkSafe(t *testing.T, in, out string) {
	t.Helper()
	fail := func(why string) {
		t.Helper()
		t.Fatalf("%s\n in: %q\nout: %q", why, in, out)
	}
	if strings.Contains(strings.ToLower(out), "<script") {
		fail("contains <script")
	}
	attrsByElement := allowedAttrs()
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return
		}
		if tt == html.CommentToken || tt == html.DoctypeToken {
			fail("comment or doctype kept")
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken && tt != html.EndTagToken {
			continue
		}
		tok := z.Token()
		allowed, ok := attrsByElement[tok.Data]
		if !ok {
			fail("element " + tok.Data + " kept")
		}
		hasRel := false
		for _, a := range tok.Attr {
			key := strings.ToLower(a.Key)
			if strings.HasPrefix(key, "on") {
				fail("event handler attribute " + a.Key)
			}
			if !slices.Contains(allowed, key) {
				fail("attribute " + a.Key + " on " + tok.Data)
			}
			lv := strings.ToLower(a.Val)
			if strings.Contains(lv, "javascript:") || strings.Contains(lv, "data:") || strings.Contains(lv, "vbscript:") {
				fail("script URL in " + a.Key)
			}
			switch key {
			case "href":
				u, err := url.Parse(a.Val)
				if err != nil || !slices.Contains([]string{"http", "https", "mailto"}, strings.ToLower(u.Scheme)) {
					fail("href with scheme " + u.Scheme)
				}
			case "rel":
				hasRel = a.Val == linkRel
			case "class":
				for _, c := range strings.Fields(a.Val) {
					if !slices.Contains(allowedClasses(tok.Data), c) {
						fail("class " + c)
					}
				}
			}
		}
		if tok.Data == "a" && tt != html.EndTagToken && !hasRel {
			fail("link without forced rel")
		}
	}
}

func TestSanitizeXSSVectors(t *testing.T) {
	for _, v := range xssVectors() {
		// The same vector arrives as content, as a summary, and as a
		// name; names and summaries shown as text go through PlainText.
		for _, in := range []string{v, "<p>Hello " + v + " world</p>", `<span class="h-card">` + v + `</span>`} {
			out := Sanitize(in)
			checkSafe(t, in, out)
			if strings.Contains(strings.ToLower(out), "alert(") && strings.Contains(out, "<a") && strings.Contains(out, "javascript") {
				t.Errorf("script link survived: %q", out)
			}
			text := PlainText(in)
			if strings.Contains(text, "<script") || strings.Contains(text, "alert(1)</") {
				t.Errorf("PlainText(%q) = %q keeps markup", in, text)
			}
			checkSafe(t, text, html.EscapeString(text))
		}
	}
}

func TestSanitizeKeepsMastodonMarkup(t *testing.T) {
	cases := []struct{ in, want string }{
		{
			`<p><span class="h-card" translate="no"><a href="https://mamot.fr/@retiolus" class="u-url mention">@<span>retiolus</span></a></span> hi</p>`,
			`<p><span class="h-card"><a href="https://mamot.fr/@retiolus" class="u-url mention" rel="nofollow noopener noreferrer ugc">@<span>retiolus</span></a></span> hi</p>`,
		},
		{
			`<a href="https://mastodon.social/tags/foo" class="mention hashtag" rel="tag">#<span>foo</span></a>`,
			`<a href="https://mastodon.social/tags/foo" class="mention hashtag" rel="nofollow noopener noreferrer ugc">#<span>foo</span></a>`,
		},
		{
			`<a href="https://kde.org/donate/" target="_blank" rel="nofollow noopener noreferrer" translate="no"><span class="invisible">https://</span><span class="ellipsis">kde.org/donate/very/lo</span><span class="invisible">ng</span></a>`,
			`<a href="https://kde.org/donate/" rel="nofollow noopener noreferrer ugc"><span class="invisible">https://</span><span class="ellipsis">kde.org/donate/very/lo</span><span class="invisible">ng</span></a>`,
		},
		// Unknown classes go, known ones stay, duplicates collapse.
		{`<a href="https://a.example/" class="url u-url fn mention mention">x</a>`, `<a href="https://a.example/" class="u-url mention" rel="nofollow noopener noreferrer ugc">x</a>`},
		{`<span class="vcard invisible big">x</span>`, `<span class="invisible">x</span>`},
		{`<span class="ellipsis">x</span><p class="mention">y</p>`, `<span class="ellipsis">x</span><p>y</p>`},
		// Links that would land on our own site, or nowhere, lose the <a>.
		{`<a href="/relative">r</a><a>n</a><a href="mailto:a@b.example">m</a>`, `rn<a href="mailto:a@b.example" rel="nofollow noopener noreferrer ugc">m</a>`},
		{`<ol start="3"><li>a</li></ol><ol start="3;x"><li>b</li></ol>`, `<ol start="3"><li>a</li></ol><ol><li>b</li></ol>`},
		{`<h2>T</h2><pre><code class="language-go">x &lt; y</code></pre><hr><br/>`, `<h2>T</h2><pre><code>x &lt; y</code></pre><hr><br/>`},
		{`<p>a &amp; b &lt;i&gt;</p>`, `<p>a &amp; b &lt;i&gt;</p>`},
		{`<a href="https://a.example/?q=1&amp;r=2">q</a>`, `<a href="https://a.example/?q=1&amp;r=2" rel="nofollow noopener noreferrer ugc">q</a>`},
	}
	for _, c := range cases {
		if got := Sanitize(c.in); got != c.want {
			t.Errorf("Sanitize(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// fixtureDir holds the captured payloads; CI always has it.
const fixtureDir = "../../../shared/fixtures/fediverse"

// fixtureTexts returns every content, summary and name string (and their
// …Map values) found anywhere in the fixtures.
func fixtureTexts(tb testing.TB) []string {
	tb.Helper()
	if _, err := os.Stat(fixtureDir); err != nil {
		tb.Fatalf("fixture directory: %v", err)
	}
	var texts []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				switch k {
				case "content", "summary", "name":
					if s, ok := e.(string); ok {
						texts = append(texts, s)
					}
				case "contentMap", "summaryMap", "nameMap":
					if m, ok := e.(map[string]any); ok {
						for _, s := range m {
							if s, ok := s.(string); ok {
								texts = append(texts, s)
							}
						}
					}
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	err := filepath.WalkDir(fixtureDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			return err
		}
		walk(v)
		return nil
	})
	if err != nil {
		tb.Fatalf("reading fixtures: %v", err)
	}
	return texts
}

func TestSanitizeFixtures(t *testing.T) {
	texts := fixtureTexts(t)
	if len(texts) < 50 {
		t.Fatalf("only %d texts in fixtures", len(texts))
	}
	for _, s := range texts {
		out := Sanitize(s)
		checkSafe(t, s, out)
		// Sanitising is stable: a second pass changes nothing.
		if again := Sanitize(out); again != out {
			t.Errorf("not idempotent:\n once %q\ntwice %q", out, again)
		}
		if PlainText(s) != PlainText(out) && !strings.Contains(s, "<img") {
			t.Errorf("sanitising changed the text of %q", s)
		}
	}
}

func TestPlainText(t *testing.T) {
	cases := map[string]string{
		"Jakob :friendica:":                                        "Jakob :friendica:",
		"Haelwenn /элвэн/ :bzh: ":                                  "Haelwenn /элвэн/ :bzh:",
		"<p>first</p><p>second</p>":                                "first second",
		"line<br>break<br/>again":                                  "line break again",
		"a&nbsp;&amp;&nbsp;b &#x1F600;":                            "a & b 😀",
		"<b onmouseover=alert(1)>Bob</b><script>alert(2)</script>": "Bob",
		"<style>p{color:red}</style>Name":                          "Name",
		"<svg onload=alert(1)><text>hidden</text></svg>Alice":      "Alice",
		"&lt;script&gt;alert(1)&lt;/script&gt;":                    "<script>alert(1)</script>",
		`<span class="invisible">https://</span><span class="ellipsis">ex.example/lo</span><span class="invisible">ng</span>`: "https://ex.example/long",
		"  lots \n\n of\t space  ": "lots of space",
		"bell\x07 and\x00nul":      "bell andnul",
		"<unclosed":                "",
		"3 < 4 and 5 > 4":          "3 < 4 and 5 > 4",
		"":                         "",
	}
	for in, want := range cases {
		if got := PlainText(in); got != want {
			t.Errorf("PlainText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExcerpt(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want string
	}{
		{"hello world foo", 15, "hello world foo"},
		{"hello world foo", 11, "hello…"},
		{"hello world foo", 12, "hello world…"},
		{"<p>hello, world</p><p>foo</p>", 9, "hello…"},
		{"supercalifragilistic", 5, "supe…"},
		{"héllo wörld", 8, "héllo…"},
		{"anything", 1, "…"},
		{"anything", 0, ""},
		{"anything", -3, ""},
		{"<script>long long long</script>short", 10, "short"},
	}
	for _, c := range cases {
		got := Excerpt(c.in, c.n)
		if got != c.want {
			t.Errorf("Excerpt(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
		if c.n > 0 && len([]rune(got)) > c.n {
			t.Errorf("Excerpt(%q, %d) has %d runes", c.in, c.n, len([]rune(got)))
		}
	}
}

func TestRenderMarkdown(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Hello *world* and **bold** ~~gone~~", "<p>Hello <em>world</em> and <strong>bold</strong> <del>gone</del></p>\n"},
		{"Raw <b>html</b> <script>alert(1)</script>", "<p>Raw &lt;b&gt;html&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt;</p>\n"},
		{"<div onclick=\"x()\">block</div>", "<p>&lt;div onclick=&#34;x()&#34;&gt;block&lt;/div&gt;</p>\n"},
		{"[site](https://a.example/p?q=1&r=2)", `<p><a href="https://a.example/p?q=1&amp;r=2" rel="nofollow noopener noreferrer ugc">site</a></p>` + "\n"},
		{"[x](javascript:alert(1)) [y](data:text/html,hi) [z](/local)", "<p>x y z</p>\n"},
		{"see https://a.example/x and www.b.example", `<p>see <a href="https://a.example/x" rel="nofollow noopener noreferrer ugc">https://a.example/x</a> and <a href="http://www.b.example" rel="nofollow noopener noreferrer ugc">www.b.example</a></p>` + "\n"},
		{"<https://a.example/auto>", `<p><a href="https://a.example/auto" rel="nofollow noopener noreferrer ugc">https://a.example/auto</a></p>` + "\n"},
		{"![alt](https://a.example/i.png)", "<p></p>\n"},
		{"# Title\n\n> quoted", "<h1>Title</h1>\n<blockquote>\n<p>quoted</p>\n</blockquote>\n"},
		{"3. three\n4. four", "<ol start=\"3\">\n<li>three</li>\n<li>four</li>\n</ol>\n"},
		{"```\n<script>x</script>\n```", "<pre><code>&lt;script&gt;x&lt;/script&gt;\n</code></pre>\n"},
		{"`a<b`", "<p><code>a&lt;b</code></p>\n"},
	}
	for _, c := range cases {
		got := RenderMarkdown(c.in)
		if got != c.want {
			t.Errorf("RenderMarkdown(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
		checkSafe(t, c.in, got)
	}
}

func TestConcurrentUse(t *testing.T) {
	r := New()
	vectors := xssVectors()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				in := vectors[(i+j)%len(vectors)]
				checkSafe(t, in, r.Sanitize(in))
				checkSafe(t, in, RenderMarkdown(in))
			}
		})
	}
	wg.Wait()
}

func FuzzSanitize(f *testing.F) {
	for _, s := range xssVectors() {
		f.Add(s)
	}
	for _, s := range fixtureTexts(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkSafe(t, in, Sanitize(in))
		checkSafe(t, in, html.EscapeString(PlainText(in)))
	})
}

func FuzzRenderMarkdown(f *testing.F) {
	for _, s := range xssVectors() {
		f.Add(s)
	}
	for _, s := range []string{"[x](javascript:alert(1))", "<javascript:alert(1)>", "*a* **b** ~~c~~ `d`", "1. a\n2. b", "> q\n\n```\ncode\n```"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		checkSafe(t, src, RenderMarkdown(src))
	})
}
