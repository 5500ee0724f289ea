package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/derbes/derbes/api"
	"github.com/derbes/derbes/jobs"
)

func TestAFailingJobShowsInTheAPIAndTheMetrics(t *testing.T) {
	each(t, func(t *testing.T, b *testBundle) {
		ctx := context.Background()
		s := jobs.New(b.env.Store, jobs.Options{Node: "node-1"})
		for _, j := range []jobs.Job{
			{Name: "transfer-notices", Every: 5 * time.Minute, Run: func(context.Context, *jobs.Run) (string, error) {
				return "", errors.New("smtp: connection refused")
			}},
			{Name: "retention-sweep", Every: time.Hour, Run: func(context.Context, *jobs.Run) (string, error) {
				return "destroyed 0", nil
			}},
		} {
			if err := s.Register(j); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Ensure(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		key, _, err := b.keys.Create(ctx, "test", "app", "")
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("GET", b.srv.URL+"/v1/jobs", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var got api.JobRuns
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /v1/jobs: %d, %v", resp.StatusCode, err)
		}
		if len(got.Jobs) != 2 || got.Jobs[0].Name != "retention-sweep" || got.Jobs[1].Name != "transfer-notices" {
			t.Fatalf("jobs: %+v", got.Jobs)
		}
		sweep, notices := got.Jobs[0], got.Jobs[1]
		if sweep.Attempts != 0 || sweep.LastOK.IsZero() || !sweep.NextRunAt.After(time.Now().Add(59*time.Minute)) {
			t.Errorf("the sweep that succeeded: %+v", sweep)
		}
		if notices.Attempts != 1 || notices.LastError != "smtp: connection refused" || !notices.LastOK.IsZero() || notices.LeaseOwner != "" {
			t.Errorf("the notices that failed: %+v", notices)
		}
		if len(got.Runs) != 2 {
			t.Errorf("runs: %+v", got.Runs)
		}

		resp, err = http.Get(b.srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		metrics, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{`derbes_job_failures{job="transfer-notices"} 1`, `derbes_job_failures{job="retention-sweep"} 0`, `derbes_job_last_success_seconds{job="transfer-notices"} 0`} {
			if !strings.Contains(string(metrics), want) {
				t.Errorf("the metrics lack %s:\n%s", want, metrics)
			}
		}
	})
}
