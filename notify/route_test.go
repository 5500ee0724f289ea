package notify_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/derbes/derbes/notify"
)

// recorder is a Notifier that keeps the refs it was given.
type recorder struct {
	mu   sync.Mutex
	refs []string
}

func (r *recorder) Notify(_ context.Context, m notify.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refs = append(r.refs, m.Ref)
	return nil
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.refs...)
}

func TestRoute(t *testing.T) {
	t.Parallel()

	cases := []struct {
		to, want string
	}{
		{"aliya@example.kz", "email"},
		{"Aliya.N+dpo@Example.KZ", "email"},
		{"+77011234567", "phone"},
		{"+79161234567", "phone"},
		{"", "fallback"},
		{"@aliya_telegram", "fallback"},
		{"87011234567", "fallback"},
		{"+998901234567", "fallback"},
	}
	for _, c := range cases {
		t.Run("a message to "+strconv.Quote(c.to)+" goes to the "+c.want+" notifier", func(t *testing.T) {
			t.Parallel()

			email, phone, fallback := &recorder{}, &recorder{}, &recorder{}
			n := notify.Route(email, phone, fallback)
			if err := n.Notify(context.Background(), notify.Message{Ref: "R-1", To: c.to}); err != nil {
				t.Fatal(err)
			}
			got := map[string][]string{"email": email.got(), "phone": phone.got(), "fallback": fallback.got()}
			for name, refs := range got {
				want := 0
				if name == c.want {
					want = 1
				}
				if len(refs) != want {
					t.Errorf("%s notifier got %v, want %d message(s)", name, refs, want)
				}
			}
		})
	}

	t.Run("a channel without a notifier is an error naming the ref but not the address", func(t *testing.T) {
		t.Parallel()

		n := notify.Route(nil, nil, nil)
		for _, to := range []string{"aliya@example.kz", "+77011234567", ""} {
			err := n.Notify(context.Background(), notify.Message{Ref: "R-2", To: to, Body: "Әлия"})
			if !errors.Is(err, notify.ErrNoNotifier) {
				t.Fatalf("to %q: err = %v, want ErrNoNotifier", to, err)
			}
			if !strings.Contains(err.Error(), "R-2") {
				t.Errorf("error %q does not name the ref", err)
			}
			if to != "" && strings.Contains(err.Error(), to) {
				t.Errorf("error %q shows the address", err)
			}
		}
	})

	t.Run("the target's error comes back unchanged", func(t *testing.T) {
		t.Parallel()

		boom := errors.New("boom")
		n := notify.Route(failing{boom}, nil, nil)
		if err := n.Notify(context.Background(), notify.Message{To: "a@example.kz"}); !errors.Is(err, boom) {
			t.Fatalf("err = %v, want %v", err, boom)
		}
	})
}

type failing struct{ err error }

func (f failing) Notify(context.Context, notify.Message) error { return f.err }
