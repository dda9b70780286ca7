// Package content turns text from remote servers and from our own users into
// HTML that is safe to show (security checklist row 15), and into plain text
// for names, titles, summaries and search.
//
// Sanitize is the only way HTML reaches a page: remote content, names and
// summaries go through it (or through PlainText, whose output is text that
// templates escape), and so does the HTML RenderMarkdown makes from our users'
// Markdown, so one allow-list governs both.
package content

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/util"
	"golang.org/x/net/html"
)

// linkRel is forced on every link: remote and user content must neither pass
// our page's referrer or window.opener to its targets nor earn them ranking.
const linkRel = "nofollow noopener noreferrer ugc"

// Renderer holds the sanitising policy and the Markdown converter, which are
// costly to build and safe for concurrent use once built. Use New, or the
// package functions, which share one Renderer per process.
type Renderer struct {
	policy *bluemonday.Policy
	md     goldmark.Markdown
}

// New builds a Renderer. Building compiles the policy's regular expressions
// and the Markdown parser, so callers should build one and keep it.
func New() *Renderer {
	return &Renderer{policy: newPolicy(), md: newMarkdown()}
}

// defaultRenderer is the process-wide Renderer behind the package functions.
// It is built on first use and never changed afterwards, so sharing it is
// safe.
var defaultRenderer = sync.OnceValue(New)

// Sanitize cleans HTML with the default Renderer; see Renderer.Sanitize.
func Sanitize(s string) string { return defaultRenderer().Sanitize(s) }

// RenderMarkdown renders Markdown with the default Renderer; see
// Renderer.RenderMarkdown.
func RenderMarkdown(src string) string { return defaultRenderer().RenderMarkdown(src) }

// newPolicy builds the allow-list. Everything not listed is removed: script,
// style, iframe, svg, img, form elements, style and on* attributes, and any
// URL whose scheme is not http, https or mailto (so javascript: and data:,
// however encoded or cased, since bluemonday decodes entities and parses the
// URL before checking its scheme).
func newPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "strong", "b", "em", "i", "u", "s", "del",
		"code", "pre", "blockquote", "ul", "li", "h1", "h2", "h3", "h4", "h5", "h6",
		"hr", "sup", "sub", "span")
	p.AllowAttrs("start").Matching(regexp.MustCompile(`^[0-9]{1,6}$`)).OnElements("ol")
	p.AllowElements("ol")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https", "mailto")
	// Remote HTML is shown on our domain: a relative link would point into
	// our own site, which the sender does not control and should not steer.
	p.AllowRelativeURLs(false)
	p.RequireParseableURLs(true)
	// Class names are let through in a harmless shape only; restrictClasses
	// then keeps just the microformat names Mastodon and others use.
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^[A-Za-z0-9_\- ]{1,200}$`)).OnElements("a", "span")
	return p
}

// allowedClasses lists, per element, the class names kept: Mastodon's
// mention, hashtag and h-card microformats, and its invisible/ellipsis spans
// that shorten long URLs.
func allowedClasses(tag string) []string {
	switch tag {
	case "a":
		return []string{"mention", "hashtag", "u-url", "h-card"}
	case "span":
		return []string{"mention", "hashtag", "h-card", "invisible", "ellipsis"}
	}
	return nil
}

// Sanitize returns html cleaned against the allow-list: p, br, a (http, https
// and mailto links only, rel forced to "nofollow noopener noreferrer ugc"),
// span, strong, b, em, i, u, s, del, code, pre, blockquote, ul, ol (start), li,
// h1–h6, hr, sup and sub. Only the microformat classes Mastodon uses survive.
// Images are dropped. The result is safe to insert into a page unescaped.
func (r *Renderer) Sanitize(s string) string {
	return restrict(r.policy.Sanitize(s))
}

// restrict post-processes bluemonday's output, which bluemonday cannot do
// itself: it keeps only the allowed class names and replaces rel on links.
// Its input is already sanitised, so every other token is copied verbatim.
func restrict(s string) string {
	if !strings.Contains(s, "<a") && !strings.Contains(s, "<span") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 64)
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return b.String()
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			b.Write(z.Raw())
			continue
		}
		// Token must be read before Raw-only paths diverge: TagName and
		// Token both consume the tag's data, so only one of them may be used.
		tok := z.Token()
		if tok.Data != "a" && tok.Data != "span" {
			b.Write(z.Raw())
			continue
		}
		attrs := tok.Attr[:0]
		for _, a := range tok.Attr {
			switch a.Key {
			case "class":
				a.Val = keepClasses(a.Val, allowedClasses(tok.Data))
				if a.Val == "" {
					continue
				}
			case "rel":
				continue
			}
			attrs = append(attrs, a)
		}
		if tok.Data == "a" {
			attrs = append(attrs, html.Attribute{Key: "rel", Val: linkRel})
		}
		tok.Attr = attrs
		b.WriteString(tok.String())
	}
}

// keepClasses returns the names in the space-separated list that are in
// allowed, in their original order and without duplicates.
func keepClasses(list string, allowed []string) string {
	var kept []string
	for _, c := range strings.Fields(list) {
		if slices.Contains(allowed, c) && !slices.Contains(kept, c) {
			kept = append(kept, c)
		}
	}
	return strings.Join(kept, " ")
}

// newMarkdown builds the CommonMark converter with GFM autolinks and
// strikethrough. Its parser has no raw-HTML block or inline parser, so HTML
// typed into Markdown is ordinary text and comes out escaped, instead of being
// passed through (or silently dropped, goldmark's default).
func newMarkdown() goldmark.Markdown {
	p := parser.NewParser(
		parser.WithBlockParsers(
			util.Prioritized(parser.NewSetextHeadingParser(), 100),
			util.Prioritized(parser.NewThematicBreakParser(), 200),
			util.Prioritized(parser.NewListParser(), 300),
			util.Prioritized(parser.NewListItemParser(), 400),
			util.Prioritized(parser.NewCodeBlockParser(), 500),
			util.Prioritized(parser.NewATXHeadingParser(), 600),
			util.Prioritized(parser.NewFencedCodeBlockParser(), 700),
			util.Prioritized(parser.NewBlockquoteParser(), 800),
			util.Prioritized(parser.NewParagraphParser(), 1000),
		),
		parser.WithInlineParsers(
			util.Prioritized(parser.NewCodeSpanParser(), 100),
			util.Prioritized(parser.NewLinkParser(), 200),
			util.Prioritized(parser.NewAutoLinkParser(), 300),
			util.Prioritized(parser.NewEmphasisParser(), 500),
		),
		parser.WithParagraphTransformers(parser.DefaultParagraphTransformers()...),
	)
	return goldmark.New(
		goldmark.WithParser(p),
		goldmark.WithExtensions(extension.Linkify, extension.Strikethrough),
	)
}

// RenderMarkdown renders CommonMark (with GFM autolinks and strikethrough)
// to sanitised HTML. Raw HTML in src is escaped, and the result goes through
// Sanitize like remote HTML does, so a link to javascript: or an image is
// removed here as it would be from a remote post.
func (r *Renderer) RenderMarkdown(src string) string {
	var b bytes.Buffer
	if err := r.md.Convert([]byte(src), &b); err != nil {
		// Convert fails only when writing to the buffer fails, which a
		// bytes.Buffer does not; showing the source as text is the safe
		// fallback should that ever change.
		return "<p>" + html.EscapeString(src) + "</p>"
	}
	return r.Sanitize(b.String())
}

// skippedContent lists elements whose content is not visible text, so
// PlainText drops what they contain along with the markup.
func skippedContent(tag string) bool {
	switch tag {
	case "script", "style", "template", "iframe", "object", "noembed", "noframes", "svg", "math", "head", "title", "textarea":
		return true
	}
	return false
}

// separatesText reports whether an element breaks a line, so that
// "<p>a</p><p>b</p>" reads "a b" rather than "ab".
func separatesText(tag string) bool {
	switch tag {
	case "p", "br", "div", "li", "ul", "ol", "blockquote", "pre", "hr", "tr", "td", "th",
		"h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header", "footer", "dd", "dt":
		return true
	}
	return false
}

// PlainText strips all markup from html, drops the content of script, style
// and similar elements, decodes entities and collapses whitespace. Use it for
// names, titles, summaries shown as text, and search. The result is text, not
// HTML: "&lt;b&gt;" becomes "<b>", so it must be escaped when put in a page
// (html/template does this).
func PlainText(s string) string {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(s))
	skip := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return collapse(b.String())
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			nameBytes, _ := z.TagName()
			name := string(nameBytes)
			if skippedContent(name) {
				switch tt {
				case html.StartTagToken:
					skip++
				case html.EndTagToken:
					skip = max(skip-1, 0)
				}
			}
			if separatesText(name) {
				b.WriteByte(' ')
			}
		}
	}
}

// collapse joins the words of s with single spaces and removes control
// characters, which have no place in a name or a title.
func collapse(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && !unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// Excerpt returns at most n runes of PlainText(html). A longer text is cut
// at the last word boundary that fits and ends with "…", which counts towards
// n; a single word longer than that is cut inside the word.
func Excerpt(s string, n int) string {
	if n <= 0 {
		return ""
	}
	text := PlainText(s)
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	runes := []rune(text)
	head := runes[:n-1] // room for the ellipsis
	// Unless the cut already falls before a space, back up to the last
	// space so no word is split, provided that leaves something.
	if runes[n-1] != ' ' {
		for i := len(head) - 1; i > 0; i-- {
			if head[i] == ' ' {
				head = head[:i]
				break
			}
		}
	}
	out := strings.TrimRight(string(head), " ,;:.-–—")
	return out + "…"
}
