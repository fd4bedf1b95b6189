package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
)

// SQLite has no LISTEN/NOTIFY. River's SQLite driver emulates it with an
// outbox table that its listener polls every 50 ms, and without it workers
// poll for jobs: either way an idle Parley would query its database dozens of
// times a second. A SQLite database is served by one process, so its
// notifications can travel in memory instead: localDriver is riversqlite with
// NotifyMany published to an in-process hub and a listener that blocks on it.
//
// Publishing at NotifyMany time, which for a job insert is inside the
// inserting transaction, is safe because the store holds SQLite on one
// connection (SetMaxOpenConns(1)): the fetch the notification triggers
// waits for that connection, so it runs after the commit and sees the job (or
// after a rollback and finds nothing, which costs one empty fetch).
type localDriver struct {
	*riversqlite.Driver
	hub *hub
}

// newLocalDriver returns the in-process-notifying SQLite driver when db is
// held on one connection, and River's own driver otherwise.
func newLocalDriver(db *sql.DB) riverdriver.Driver[*sql.Tx] {
	d := riversqlite.New(db)
	if db.Stats().MaxOpenConnections != 1 {
		return d
	}
	return &localDriver{Driver: d, hub: &hub{listeners: map[*localListener]struct{}{}}}
}

func (d *localDriver) SupportsListener() bool     { return true }
func (d *localDriver) SupportsListenNotify() bool { return true }

func (d *localDriver) GetListener(*riverdriver.GetListenenerParams) riverdriver.Listener {
	return &localListener{hub: d.hub, ch: make(chan *riverdriver.Notification, 1024)}
}

func (d *localDriver) GetExecutor() riverdriver.Executor {
	return &localExecutor{Executor: d.Driver.GetExecutor(), hub: d.hub}
}

func (d *localDriver) UnwrapExecutor(tx *sql.Tx) riverdriver.ExecutorTx {
	return &localExecutorTx{ExecutorTx: d.Driver.UnwrapExecutor(tx), hub: d.hub}
}

type localExecutor struct {
	riverdriver.Executor
	hub *hub
}

func (e *localExecutor) NotifyMany(_ context.Context, p *riverdriver.NotifyManyParams) error {
	e.hub.publish(p)
	return nil
}

func (e *localExecutor) Begin(ctx context.Context) (riverdriver.ExecutorTx, error) {
	tx, err := e.Executor.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &localExecutorTx{ExecutorTx: tx, hub: e.hub}, nil
}

type localExecutorTx struct {
	riverdriver.ExecutorTx
	hub *hub
}

func (e *localExecutorTx) NotifyMany(_ context.Context, p *riverdriver.NotifyManyParams) error {
	e.hub.publish(p)
	return nil
}

func (e *localExecutorTx) Begin(ctx context.Context) (riverdriver.ExecutorTx, error) {
	tx, err := e.ExecutorTx.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &localExecutorTx{ExecutorTx: tx, hub: e.hub}, nil
}

// hub fans notifications out to the listeners subscribed to their topic.
type hub struct {
	mu        sync.Mutex
	listeners map[*localListener]struct{}
}

func (h *hub) publish(p *riverdriver.NotifyManyParams) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for l := range h.listeners {
		if !l.topics[p.Topic] {
			continue
		}
		for _, payload := range p.Payload {
			select {
			case l.ch <- &riverdriver.Notification{Topic: p.Topic, Payload: payload}:
			default:
				// A listener this far behind has a fetch pending already;
				// the poll is the safety net for anything dropped.
			}
		}
	}
}

// localListener is one River notifier's subscription to the hub. Its topics
// are guarded by the hub's lock.
type localListener struct {
	hub    *hub
	topics map[string]bool
	ch     chan *riverdriver.Notification
}

func (l *localListener) Connect(context.Context) error {
	l.hub.mu.Lock()
	defer l.hub.mu.Unlock()
	l.topics = map[string]bool{}
	l.hub.listeners[l] = struct{}{}
	return nil
}

func (l *localListener) Close(context.Context) error {
	l.hub.mu.Lock()
	defer l.hub.mu.Unlock()
	delete(l.hub.listeners, l)
	return nil
}

func (l *localListener) Listen(_ context.Context, topic string) error {
	l.hub.mu.Lock()
	defer l.hub.mu.Unlock()
	l.topics[topic] = true
	return nil
}

func (l *localListener) Unlisten(_ context.Context, topic string) error {
	l.hub.mu.Lock()
	defer l.hub.mu.Unlock()
	delete(l.topics, topic)
	return nil
}

func (l *localListener) Ping(context.Context) error { return nil }
func (l *localListener) Schema() string             { return "" }
func (l *localListener) SetAfterConnectExec(string) {}

func (l *localListener) WaitForNotification(ctx context.Context) (*riverdriver.Notification, error) {
	select {
	case n := <-l.ch:
		return n, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// insertTopic and the payload below are River's own insert notification (its
// notifier's "river_insert" topic, `{"queue": …}`): the protocol every River
// client of a database listens to, so it holds across processes and versions.
const insertTopic = "river_insert"

// Enqueuer inserts jobs inside a caller's transaction and wakes their queues'
// workers when it commits.
//
// River notifies inserts itself, but at most once per queue per
// FetchCooldown: a job inserted just after another one's notification is
// left to the poll. With a poll of seconds that is seconds of latency for a
// webhook delivery, so Enqueuer sends a notification for every insert (on
// PostgreSQL a NOTIFY delivered at commit; on SQLite the in-memory hub).
// Extra notifications cost a debounced fetch at most.
type Enqueuer struct{ c *Client }

// NewEnqueuer returns an Enqueuer over c.
func NewEnqueuer(c *Client) Enqueuer { return Enqueuer{c: c} }

// InsertManyTx inserts params in tx and notifies their queues.
func (e Enqueuer) InsertManyTx(ctx context.Context, tx *sql.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	res, err := e.c.InsertManyTx(ctx, tx, params)
	if err != nil || len(res) == 0 {
		return res, err
	}
	var payloads []string
	seen := map[string]bool{}
	for _, r := range res {
		if q := r.Job.Queue; !seen[q] {
			seen[q] = true
			payloads = append(payloads, fmt.Sprintf(`{"queue": %q}`, q))
		}
	}
	return res, e.c.Driver().UnwrapExecutor(tx).NotifyMany(ctx, &riverdriver.NotifyManyParams{
		Payload: payloads, Schema: e.c.Schema(), Topic: insertTopic})
}
