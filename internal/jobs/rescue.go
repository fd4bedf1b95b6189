package jobs

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// riverRescueInterval is how often River's own rescuer looks for jobs left
// running by a dead process (its JobRescuerIntervalDefault, which River's
// Config does not expose). With RescueAfter much shorter than it, a lost
// job would wait up to this long anyway.
const riverRescueInterval = 30 * time.Second

// rescueTaskName is the periodic task that rescues stuck jobs more often
// than River does, when RescueAfter asks for it.
const rescueTaskName = "rescue_stuck_jobs"

// rescuer is River's stuck-job rescue, run as a Parley task every quarter
// of RescueAfter, with River's own rules: a job is stuck once it has been
// running for RescueAfter and for its worker's timeout (a job within its
// timeout may still be running on a live replica); a stuck job whose
// cancellation was asked is cancelled, one with attempts left is made
// available at once (it was lost, not failed), and one without is
// discarded. The update re-checks "still running and attempted before the
// horizon", so it never races River's rescuer or a finishing worker.
//
// It uses River's driver executor (JobGetStuck, JobRescueMany), the calls
// River's rescuer makes, since the rescuer's interval is not configurable.
type rescuer struct {
	client   func() *Client
	after    time.Duration
	timeout  time.Duration            // River's JobTimeout
	timeouts map[string]time.Duration // workers' own Timeout, by kind
	now      func() time.Time
}

func (r rescuer) run(ctx context.Context) error {
	c := r.client()
	exec := c.Driver().GetExecutor()
	now := r.now().UTC()
	horizon := now.Add(-r.after)
	stuck, err := exec.JobGetStuck(ctx, &riverdriver.JobGetStuckParams{Max: 1000, Schema: c.Schema(), StuckHorizon: horizon})
	if err != nil {
		return fmt.Errorf("jobs: find stuck jobs: %w", err)
	}
	p := &riverdriver.JobRescueManyParams{Schema: c.Schema(), StuckHorizon: horizon}
	for _, job := range stuck {
		if job.AttemptedAt == nil || now.Sub(*job.AttemptedAt) < cmp.Or(r.timeouts[job.Kind], r.timeout) {
			continue
		}
		var meta struct {
			CancelAttemptedAt time.Time `json:"cancel_attempted_at"`
		}
		_ = json.Unmarshal(job.Metadata, &meta)
		errData, err := json.Marshal(rivertype.AttemptError{At: now, Attempt: max(job.Attempt, 0),
			Error: "Stuck job rescued by Parley: running for longer than PARLEY_JOB_RESCUE_AFTER (its process died?)"})
		if err != nil {
			return err
		}
		state, scheduled, finalized := rivertype.JobStateAvailable, now, (*time.Time)(nil)
		switch {
		case !meta.CancelAttemptedAt.IsZero():
			state, scheduled, finalized = rivertype.JobStateCancelled, job.ScheduledAt, &now
		case job.Attempt >= job.MaxAttempts:
			state, scheduled, finalized = rivertype.JobStateDiscarded, job.ScheduledAt, &now
		}
		p.ID = append(p.ID, job.ID)
		p.Error = append(p.Error, errData)
		p.FinalizedAt = append(p.FinalizedAt, finalized)
		p.ScheduledAt = append(p.ScheduledAt, scheduled)
		p.State = append(p.State, string(state))
	}
	if len(p.ID) == 0 {
		return nil
	}
	if _, err := exec.JobRescueMany(ctx, p); err != nil {
		return fmt.Errorf("jobs: rescue stuck jobs: %w", err)
	}
	// Wake the workers of the rescued jobs' queues, as an insert does,
	// rather than leave them to the poll.
	var payloads []string
	seen := map[string]bool{}
	for _, job := range stuck {
		if !seen[job.Queue] {
			seen[job.Queue] = true
			payloads = append(payloads, fmt.Sprintf(`{"queue": %q}`, job.Queue))
		}
	}
	return exec.NotifyMany(ctx, &riverdriver.NotifyManyParams{Payload: payloads, Schema: c.Schema(), Topic: insertTopic})
}
