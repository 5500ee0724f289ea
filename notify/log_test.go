package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/derbes/derbes/notify"
)

// kazakhMessages are messages whose To, Subject and Body must never show up
// in logs or errors.
func kazakhMessages() []notify.Message {
	return []notify.Message{
		{
			Kind: "transfer-notice", Ref: "T-2025-0001", To: "aliya.nurlanqyzy@example.kz", Lang: "kk",
			Subject: "Әлия, сіздің дербес деректеріңіз берілді",
			Body:    "Құрметті Әлия Нұрланқызы!\nСіздің ЖСН 900101300123 деректеріңіз «Қазпошта» АҚ-ға берілді.",
		},
		{
			Kind: "transfer-notice", Ref: "T-2025-0002", To: "+77011234567", Lang: "ru",
			Subject: "Уведомление о передаче данных",
			Body:    "Уважаемая Әлия, ваши персональные данные переданы третьему лицу.",
		},
		{
			Kind: "incident-alert", Ref: "INC-7", To: "", Lang: "en",
			Subject: "Incident at Ғалым's branch",
			Body:    "Records of Бауыржан Сәрсенбаев were exposed.",
		},
	}
}

// secretsOf lists the strings of m that must not appear in logs or errors,
// and pieces of them a careless formatter might still print.
func secretsOf(m notify.Message) []string {
	var out []string
	for _, s := range []string{m.To, m.Subject, m.Body} {
		if s == "" {
			continue
		}
		out = append(out, s)
		out = append(out, strings.Split(s, "\n")...)
	}
	out = append(out, "Әлия", "7011234567", "aliya.nurlanqyzy", "900101300123", "Бауыржан")
	return out
}

func TestLog(t *testing.T) {
	t.Parallel()

	for _, format := range []string{"text", "json"} {
		t.Run("the "+format+" log shows kind, ref, lang and channel but never To, Subject or Body", func(t *testing.T) {
			t.Parallel()

			var buf bytes.Buffer
			var h slog.Handler = slog.NewTextHandler(&buf, nil)
			if format == "json" {
				h = slog.NewJSONHandler(&buf, nil)
			}
			n := notify.NewLog(slog.New(h))
			for _, m := range kazakhMessages() {
				if err := n.Notify(context.Background(), m); err != nil {
					t.Fatalf("Notify(%s): %v", m.Ref, err)
				}
			}
			out := buf.String()
			for _, m := range kazakhMessages() {
				for _, s := range secretsOf(m) {
					if strings.Contains(out, s) {
						t.Errorf("log output contains %q:\n%s", s, out)
					}
				}
			}
			if lines := strings.Count(out, "\n"); lines != 3 {
				t.Errorf("log has %d lines, want one per message:\n%s", lines, out)
			}
			if format != "json" {
				return
			}
			want := []map[string]string{
				{"kind": "transfer-notice", "ref": "T-2025-0001", "lang": "kk", "channel": "email"},
				{"kind": "transfer-notice", "ref": "T-2025-0002", "lang": "ru", "channel": "phone"},
				{"kind": "incident-alert", "ref": "INC-7", "lang": "en", "channel": "webhook"},
			}
			dec := json.NewDecoder(&buf)
			for i, w := range want {
				var got map[string]any
				if err := dec.Decode(&got); err != nil {
					t.Fatalf("line %d: %v", i, err)
				}
				for k, v := range w {
					if got[k] != v {
						t.Errorf("line %d: %s = %v, want %q", i, k, got[k], v)
					}
				}
			}
		})
	}

	t.Run("a cancelled context is an error and nothing is logged", func(t *testing.T) {
		t.Parallel()

		var buf bytes.Buffer
		n := notify.NewLog(slog.New(slog.NewTextHandler(&buf, nil)))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := n.Notify(ctx, kazakhMessages()[0])
		if err == nil {
			t.Fatal("Notify with a cancelled context succeeded")
		}
		if buf.Len() != 0 {
			t.Errorf("logged %q", buf.String())
		}
	})
}
