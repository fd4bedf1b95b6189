package jobs

import (
	"context"
	"database/sql"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// States are the job states /metrics reports, River's names: every state
// but completed, whose count only grows until River's cleaner prunes it
// and says nothing about the queue's health. Each is reported for every
// known kind, zero included, so an alert on "discarded > 0" has a series
// to watch before the first discard.
var States = []string{"available", "scheduled", "running", "retryable", "discarded", "cancelled", "pending"}

// Stats is a Prometheus collector of the job queue's health, computed when
// /metrics is scraped by one grouped query over River's table: no
// background polling, so an idle Parley stays idle.
type Stats struct {
	db      *sql.DB
	query   string
	kinds   []string
	log     *slog.Logger
	jobs    *prometheus.Desc
	oldest  *prometheus.Desc
	up      *prometheus.Desc
	timeout time.Duration
}

// NewStats returns the collector for the store's database; kinds are the
// job kinds reported even when none exist (Parley's own are added).
func NewStats(db *sql.DB, dialect string, log *slog.Logger, kinds ...string) *Stats {
	if log == nil {
		log = slog.Default()
	}
	// Completed jobs are left out by the WHERE, so the scan touches what
	// is queued or failed, not a day of finished work. The age is that of
	// the oldest job of the group by when it became runnable.
	q := `SELECT state::text, kind, count(*), extract(epoch FROM now() - min(scheduled_at))::float8
		FROM river_job WHERE state <> 'completed' GROUP BY state, kind`
	if dialect == "sqlite" {
		q = `SELECT state, kind, count(*), (julianday('now') - julianday(min(scheduled_at))) * 86400.0
		FROM river_job WHERE state <> 'completed' GROUP BY state, kind`
	}
	return &Stats{db: db, query: q, log: log, timeout: 2 * time.Second,
		kinds: append([]string{HeartbeatArgs{}.Kind(), TaskArgs{}.Kind()}, kinds...),
		jobs: prometheus.NewDesc("parley_jobs", "Background jobs (webhook deliveries, periodic tasks) by River state and kind; completed ones are not counted.",
			[]string{"state", "kind"}, nil),
		oldest: prometheus.NewDesc("parley_jobs_oldest_available_seconds",
			"How long the oldest job ready to run has waited for a worker (0 when none waits); growing means workers are not keeping up or not running.", nil, nil),
		up: prometheus.NewDesc("parley_jobs_stats_up", "1 when the job statistics could be read from the database at this scrape, else 0.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (s *Stats) Describe(ch chan<- *prometheus.Desc) {
	ch <- s.jobs
	ch <- s.oldest
	ch <- s.up
}

// Collect implements prometheus.Collector. A database that does not answer
// reports parley_jobs_stats_up 0 instead of failing the whole scrape,
// whose HTTP metrics matter most during such an outage.
func (s *Stats) Collect(ch chan<- prometheus.Metric) {
	counts, oldest, err := s.read()
	if err != nil {
		s.log.Warn("metrics: job statistics not read", "err", err)
		ch <- prometheus.MustNewConstMetric(s.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(s.up, prometheus.GaugeValue, 1)
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(s.jobs, prometheus.GaugeValue, float64(n), k.state, k.kind)
	}
	ch <- prometheus.MustNewConstMetric(s.oldest, prometheus.GaugeValue, oldest)
}

type stateKind struct{ state, kind string }

func (s *Stats) read() (map[stateKind]int64, float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	counts := map[stateKind]int64{}
	for _, st := range States {
		for _, k := range s.kinds {
			counts[stateKind{st, k}] = 0
		}
	}
	rows, err := s.db.QueryContext(ctx, s.query)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var oldest float64
	for rows.Next() {
		var k stateKind
		var n int64
		var age sql.NullFloat64
		if err := rows.Scan(&k.state, &k.kind, &n, &age); err != nil {
			return nil, 0, err
		}
		counts[k] = n
		if k.state == "available" && age.Valid {
			oldest = max(oldest, age.Float64)
		}
	}
	return counts, oldest, rows.Err()
}
