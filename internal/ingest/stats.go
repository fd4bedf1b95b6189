package ingest

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/parleyhq/parley/internal/store"
)

// QueueStats is a Prometheus collector of the inbound queue: accepted
// webhooks not yet recorded, read when /metrics is scraped (one query, no
// background polling). A backlog that grows, or an oldest age past the
// grace, means webhooks are accepted faster than recorded or a replica
// died with some; failed ones wait for their backoff.
type QueueStats struct {
	store   store.InboundQueueStore
	log     *slog.Logger
	now     func() time.Time
	queue   *prometheus.Desc
	oldest  *prometheus.Desc
	up      *prometheus.Desc
	timeout time.Duration
}

// NewQueueStats returns the collector over st.
func NewQueueStats(st store.InboundQueueStore, log *slog.Logger) *QueueStats {
	if log == nil {
		log = slog.Default()
	}
	return &QueueStats{store: st, log: log, now: time.Now, timeout: 2 * time.Second,
		queue: prometheus.NewDesc("parley_inbound_queue",
			"Platform webhooks acknowledged and not yet recorded: pending (all of them) and failed (those whose recording failed at least once and wait to be retried).",
			[]string{"state"}, nil),
		oldest: prometheus.NewDesc("parley_inbound_queue_oldest_seconds",
			"Age of the oldest acknowledged webhook not yet recorded (0 when none).", nil, nil),
		up: prometheus.NewDesc("parley_inbound_queue_stats_up", "1 when the inbound queue could be read at this scrape, else 0.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (s *QueueStats) Describe(ch chan<- *prometheus.Desc) {
	ch <- s.queue
	ch <- s.oldest
	ch <- s.up
}

// Collect implements prometheus.Collector; a database that does not answer
// reports parley_inbound_queue_stats_up 0 rather than failing the scrape.
func (s *QueueStats) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	b, err := s.store.InboundBacklogStats(ctx)
	if err != nil {
		s.log.Warn("metrics: inbound queue not read", "err", err)
		ch <- prometheus.MustNewConstMetric(s.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(s.up, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(s.queue, prometheus.GaugeValue, float64(b.Pending), "pending")
	ch <- prometheus.MustNewConstMetric(s.queue, prometheus.GaugeValue, float64(b.Failed), "failed")
	var age float64
	if !b.Oldest.IsZero() {
		age = max(0, s.now().Sub(b.Oldest).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(s.oldest, prometheus.GaugeValue, age)
}
