package delivery

import (
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcome labels of practica_deliveries_total.
const (
	outcomeDelivered = "delivered"
	outcomeRetry     = "retry"
	outcomeFailed    = "failed"
	outcomeGone      = "gone"
	outcomeBlocked   = "blocked"
	outcomeExpired   = "expired"
	outcomeDeferred  = "deferred"
	outcomeSkipped   = "skipped"
)

// Metrics are the delivery pipeline's Prometheus metrics. One value is
// shared by every Sender of an instance.
type Metrics struct {
	outcomes *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inflight *prometheus.GaugeVec
	total    prometheus.Gauge

	// hosts counts sends in flight per host across all runs, so that a
	// host's gauge series is removed once idle: a series per host ever
	// contacted would grow without bound.
	mu    sync.Mutex
	hosts map[string]int
}

// NewMetrics creates the delivery metrics and registers them on reg
// (nil registers nothing). Registering twice on one registry reuses the
// collectors already there.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "practica_deliveries_total",
			Help: "Delivery attempts and decisions by outcome: delivered, retry, failed, gone, blocked, expired, deferred (circuit open), skipped (host unavailable).",
		}, []string{"outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "practica_delivery_send_duration_seconds",
			Help:    "Duration of one signed POST to a remote inbox, by outcome.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"outcome"}),
		inflight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "practica_delivery_inflight",
			Help: "Deliveries being sent right now, per remote host (hosts with none are absent).",
		}, []string{"host"}),
		total: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "practica_delivery_inflight_total",
			Help: "Deliveries being sent right now, all hosts.",
		}),
		hosts: map[string]int{},
	}
	if reg == nil {
		return m, nil
	}
	var err error
	m.outcomes, err = register(reg, m.outcomes)
	if err != nil {
		return nil, err
	}
	if m.duration, err = register(reg, m.duration); err != nil {
		return nil, err
	}
	if m.inflight, err = register(reg, m.inflight); err != nil {
		return nil, err
	}
	if m.total, err = register(reg, m.total); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the equal collector already registered.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}

func (m *Metrics) outcome(label string) {
	if m != nil {
		m.outcomes.WithLabelValues(label).Inc()
	}
}

func (m *Metrics) sent(label string, d time.Duration) {
	if m != nil {
		m.duration.WithLabelValues(label).Observe(d.Seconds())
	}
}

func (m *Metrics) begin(host string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.hosts[host]++
	m.inflight.WithLabelValues(host).Inc()
	m.total.Inc()
}

func (m *Metrics) end(host string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.total.Dec()
	if m.hosts[host]--; m.hosts[host] <= 0 {
		delete(m.hosts, host)
		m.inflight.DeleteLabelValues(host)
		return
	}
	m.inflight.WithLabelValues(host).Dec()
}
