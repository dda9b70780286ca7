package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
)

// Metric is one measured figure, printed as a human line and as one JSON
// line. Ratio is Value ÷ Ceiling (or its inverse where noted in Unit);
// Required and Goal apply to the ratio or to the value, as On says, and
// Better says which way is good.
type Metric struct {
	Case        string   `json:"case"`
	Value       float64  `json:"value"`
	Unit        string   `json:"unit"`
	Ceiling     *float64 `json:"ceiling"`
	CeilingUnit string   `json:"ceiling_unit,omitempty"`
	Ratio       *float64 `json:"ratio"`
	Required    *float64 `json:"required"`
	Goal        *float64 `json:"goal"`
	// On is "ratio" or "value": what Required and Goal bound.
	On string `json:"target_on,omitempty"`
	// Better is "higher" or "lower".
	Better  string         `json:"better,omitempty"`
	Pass    *bool          `json:"pass,omitempty"`
	GoalMet *bool          `json:"goal_met,omitempty"`
	Detail  map[string]any `json:"detail,omitempty"`
	// Label describes the figure in the human line.
	Label string `json:"-"`
}

func num(v float64) *float64 { return &v }

// target sets the bounds and decides pass and goal.
func (m *Metric) target(on, better string, required, goal float64) *Metric {
	m.On, m.Better = on, better
	if required != 0 {
		m.Required = num(required)
	}
	if goal != 0 {
		m.Goal = num(goal)
	}
	x := m.Value
	if on == "ratio" {
		if m.Ratio == nil {
			return m
		}
		x = *m.Ratio
	}
	ok := func(bound *float64) *bool {
		if bound == nil {
			return nil
		}
		b := x >= *bound
		if better == "lower" {
			b = x <= *bound
		}
		return &b
	}
	m.Pass, m.GoalMet = ok(m.Required), ok(m.Goal)
	return m
}

// against sets the ceiling and the ratio value ÷ ceiling.
func (m *Metric) against(ceiling float64, unit string) *Metric {
	if ceiling > 0 {
		m.Ceiling, m.CeilingUnit = num(round(ceiling)), unit
		m.Ratio = num(round(m.Value / ceiling))
	}
	return m
}

// round keeps four significant digits, enough for figures this noisy.
func round(v float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	mag := math.Pow(10, 3-math.Floor(math.Log10(math.Abs(v))))
	return math.Round(v*mag) / mag
}

// print writes the human line and the JSON line.
func (m *Metric) print(w io.Writer) {
	m.Value = round(m.Value)
	var b strings.Builder
	fmt.Fprintf(&b, "%-16s %s %s", m.Case, fmtNum(m.Value), m.Unit)
	if m.Label != "" {
		fmt.Fprintf(&b, " (%s)", m.Label)
	}
	if m.Ratio != nil {
		fmt.Fprintf(&b, "; ceiling %s %s, ratio %s", fmtNum(*m.Ceiling), m.CeilingUnit, fmtNum(*m.Ratio))
	}
	if m.Required != nil {
		op := "≥"
		if m.Better == "lower" {
			op = "≤"
		}
		fmt.Fprintf(&b, "; required %s %s %s", m.On, op, fmtNum(*m.Required))
		if m.Goal != nil {
			fmt.Fprintf(&b, ", goal %s", fmtNum(*m.Goal))
		}
		verdict := "FAIL"
		if m.Pass != nil && *m.Pass {
			verdict = "PASS"
			if m.GoalMet != nil && *m.GoalMet {
				verdict += " (goal met)"
			}
		}
		fmt.Fprintf(&b, ": %s", verdict)
	}
	fmt.Fprintln(w, b.String())
	line, _ := json.Marshal(m)
	fmt.Fprintln(w, string(line))
}

func fmtNum(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}
