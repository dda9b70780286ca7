package bench

import (
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// series is one line of a plot: cumulative deliveries over time since
// Start, one point per delivery.
type series struct {
	Name  string
	Start time.Time
	Times []time.Time
	// Mark is an optional vertical line (e.g. the last live delivery).
	Mark     time.Duration
	MarkName string
}

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd"}

// writePlot writes an SVG line chart of cumulative deliveries over time.
func writePlot(path, title string, ss []series) error {
	const w, h = 720.0, 420.0
	const left, right, top, bottom = 70.0, 20.0, 40.0, 55.0
	pw, ph := w-left-right, h-top-bottom
	var maxT float64
	maxN := 1
	for _, s := range ss {
		if len(s.Times) > 0 {
			maxT = math.Max(maxT, s.Times[len(s.Times)-1].Sub(s.Start).Seconds())
		}
		maxT = math.Max(maxT, s.Mark.Seconds())
		maxN = max(maxN, len(s.Times))
	}
	if maxT <= 0 {
		maxT = 1
	}
	xt := niceStep(maxT / 6)
	maxT = math.Ceil(maxT/xt) * xt
	yt := niceStep(float64(maxN) / 5)
	maxY := math.Ceil(float64(maxN)/yt) * yt
	x := func(t float64) float64 { return left + t/maxT*pw }
	y := func(n float64) float64 { return top + ph - n/maxY*ph }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="22" font-size="15" text-anchor="middle">%s</text>`+"\n", w/2, html.EscapeString(title))
	for t := 0.0; t <= maxT+1e-9; t += xt {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e5e5e5"/>`+"\n", x(t), top, x(t), top+ph)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", x(t), top+ph+18, trimFloat(t))
	}
	for n := 0.0; n <= maxY+1e-9; n += yt {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e5e5e5"/>`+"\n", left, y(n), left+pw, y(n))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`+"\n", left-6, y(n)+4, trimFloat(n))
	}
	fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#333"/>`+"\n", left, top, pw, ph)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">seconds since the post was committed</text>`+"\n", left+pw/2, h-12)
	fmt.Fprintf(&b, `<text transform="translate(16 %.1f) rotate(-90)" text-anchor="middle">deliveries answered 2xx (cumulative)</text>`+"\n", top+ph/2)
	for i, s := range ss {
		color := palette[i%len(palette)]
		var pts strings.Builder
		fmt.Fprintf(&pts, "%.1f,%.1f", x(0), y(0))
		// One point per pixel column is plenty.
		step := max(1, len(s.Times)/int(pw))
		for j := 0; j < len(s.Times); j += step {
			fmt.Fprintf(&pts, " %.1f,%.1f", x(s.Times[j].Sub(s.Start).Seconds()), y(float64(j+1)))
		}
		if n := len(s.Times); n > 0 {
			fmt.Fprintf(&pts, " %.1f,%.1f", x(s.Times[n-1].Sub(s.Start).Seconds()), y(float64(n)))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", color, pts.String())
		if s.Mark > 0 {
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="4 3"/>`+"\n", x(s.Mark.Seconds()), top, x(s.Mark.Seconds()), top+ph, color)
		}
		// The curves rise from the bottom left: the top left is free.
		ly := top + 18 + float64(i)*18
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"/>`+"\n", left+10, ly-4, left+30, ly-4, color)
		label := s.Name
		if s.MarkName != "" {
			label += " (dashed: " + s.MarkName + ")"
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="16" fill="white" fill-opacity="0.85"/>`+"\n", left+34, ly-12, 6.6*float64(len([]rune(label)))+4)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%s</text>`+"\n", left+36, ly, html.EscapeString(label))
	}
	b.WriteString("</svg>\n")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// niceStep rounds a tick interval up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}
