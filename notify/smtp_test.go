package notify_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/derbes/derbes/notify"
)

// fakeSMTP is an SMTP server just big enough for net/smtp: a greeting,
// EHLO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP and QUIT. It never offers
// STARTTLS. Its goroutines end when the test does.
type fakeSMTP struct {
	ln   net.Listener
	ext  []string // EHLO keywords after the greeting line
	rcpt string   // RCPT reply; "" means 250

	wg        sync.WaitGroup
	closeOnce sync.Once

	mu       sync.Mutex
	conns    int
	commands []string // every command line, in order
	data     [][]byte // the DATA of each message accepted
}

func startFakeSMTP(t *testing.T, ext []string, rcpt string) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSMTP{ln: ln, ext: ext, rcpt: rcpt}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.conns++
			f.mu.Unlock()
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				f.serve(t, c)
			}()
		}
	}()
	t.Cleanup(f.close)
	return f
}

// close stops listening and waits for every conversation to end.
func (f *fakeSMTP) close() {
	f.closeOnce.Do(func() { _ = f.ln.Close() })
	f.wg.Wait()
}

func (f *fakeSMTP) addr() string { return f.ln.Addr().String() }

func (f *fakeSMTP) serve(t *testing.T, c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	tp := textproto.NewConn(c)
	reply := func(format string, args ...any) bool {
		if err := tp.PrintfLine(format, args...); err != nil {
			t.Errorf("fake SMTP: %v", err)
			return false
		}
		return true
	}
	if !reply("220 fake.test ESMTP") {
		return
	}
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return // the client hung up
		}
		f.mu.Lock()
		f.commands = append(f.commands, line)
		f.mu.Unlock()
		verb, _, _ := strings.Cut(strings.ToUpper(line), " ")
		ok := true
		switch verb {
		case "EHLO", "HELO":
			lines := append([]string{"fake.test"}, f.ext...)
			for i, l := range lines {
				sep := "-"
				if i == len(lines)-1 {
					sep = " "
				}
				if !reply("250%s%s", sep, l) {
					return
				}
			}
		case "AUTH":
			ok = reply("235 2.7.0 authenticated")
		case "MAIL", "RSET", "NOOP":
			ok = reply("250 2.1.0 ok")
		case "RCPT":
			if f.rcpt != "" {
				ok = reply("%s", f.rcpt)
			} else {
				ok = reply("250 2.1.5 ok")
			}
		case "DATA":
			if !reply("354 go ahead") {
				return
			}
			data, err := tp.ReadDotBytes()
			if err != nil {
				t.Errorf("fake SMTP: reading DATA: %v", err)
				return
			}
			f.mu.Lock()
			f.data = append(f.data, data)
			f.mu.Unlock()
			ok = reply("250 2.0.0 queued as FAKE1")
		case "QUIT":
			reply("221 2.0.0 bye")
			return
		default:
			ok = reply("502 5.5.2 not implemented")
		}
		if !ok {
			return
		}
	}
}

// session returns the connections made, the commands received and the
// messages accepted, once every conversation has ended.
func (f *fakeSMTP) session() (conns int, commands []string, data [][]byte) {
	f.close()
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conns, f.commands, f.data
}

// decoded is a received message, decoded as a mail client would.
type decoded struct {
	header  mail.Header
	to      string
	subject string
	body    string
}

func decodeMessage(t *testing.T, raw []byte) decoded {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("net/mail cannot read the message: %v\n%s", err, raw)
	}
	var d decoded
	d.header = msg.Header
	to, err := mail.ParseAddress(msg.Header.Get("To"))
	if err != nil {
		t.Fatalf("To %q: %v", msg.Header.Get("To"), err)
	}
	d.to = to.Address
	if d.subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatalf("Subject: %v", err)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "text/plain" || !strings.EqualFold(params["charset"], "utf-8") {
		t.Errorf("Content-Type %q, want text/plain; charset=utf-8", msg.Header.Get("Content-Type"))
	}
	var body io.Reader
	switch cte := strings.ToLower(msg.Header.Get("Content-Transfer-Encoding")); cte {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, msg.Body)
	case "quoted-printable":
		body = quotedprintable.NewReader(msg.Body)
	default:
		t.Fatalf("Content-Transfer-Encoding %q, want base64 or quoted-printable", cte)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("body: %v", err)
	}
	d.body = string(b)
	return d
}

func newSMTP(t *testing.T, cfg notify.SMTPConfig) notify.Notifier {
	t.Helper()
	n, err := notify.NewSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSMTP(t *testing.T) {
	t.Parallel()

	for _, mode := range []string{"never", "auto", ""} {
		t.Run(fmt.Sprintf("with StartTLS %q a Kazakh subject and body arrive exactly, to the right address", mode), func(t *testing.T) {
			t.Parallel()

			f := startFakeSMTP(t, []string{"8BITMIME", "PIPELINING"}, "")
			n := newSMTP(t, notify.SMTPConfig{Addr: f.addr(), From: "Derbes ДПО <dpo@example.kz>", StartTLS: mode})
			m := kazakhMessages()[0]
			m.Subject = "Әлия, сіздің дербес деректеріңіз «Қазпошта» АҚ-ға берілді: ЖСН, мекенжай, телефон нөмірі — Ғ Қ Ң Ө Ұ Ү Һ І"
			m.Body += "\n.a line that starts with a full stop\n\nҚұрметпен, ДПО"
			if err := n.Notify(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			conns, commands, data := f.session()
			if conns != 1 || len(data) != 1 {
				t.Fatalf("%d connections, %d messages, want 1 and 1", conns, len(data))
			}
			d := decodeMessage(t, data[0])
			if d.subject != m.Subject {
				t.Errorf("subject\n got %q\nwant %q", d.subject, m.Subject)
			}
			// Text travels in canonical form, with CRLF line breaks.
			if want := strings.ReplaceAll(m.Body, "\n", "\r\n"); d.body != want {
				t.Errorf("body\n got %q\nwant %q", d.body, want)
			}
			if d.to != m.To {
				t.Errorf("To %q, want %q", d.to, m.To)
			}
			from, err := mail.ParseAddress(d.header.Get("From"))
			if err != nil || from.Address != "dpo@example.kz" || from.Name != "Derbes ДПО" {
				t.Errorf("From %q (%v)", d.header.Get("From"), err)
			}
			if date, err := d.header.Date(); err != nil || time.Since(date) > time.Minute || time.Since(date) < -time.Second {
				t.Errorf("Date %q (%v), want about now", d.header.Get("Date"), err)
			}
			if id := d.header.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@example.kz>") {
				t.Errorf("Message-ID %q", id)
			}
			for k, want := range map[string]string{"MIME-Version": "1.0", "Content-Language": "kk", "Auto-Submitted": "auto-generated"} {
				if got := d.header.Get(k); got != want {
					t.Errorf("%s %q, want %q", k, got, want)
				}
			}
			for _, line := range strings.Split(string(data[0]), "\n") {
				if len(line) > 998 {
					t.Errorf("a line of %d bytes", len(line))
				}
			}
			wantCmds := []string{"MAIL FROM:<dpo@example.kz>", "RCPT TO:<" + m.To + ">", "DATA", "QUIT"}
			if got := strings.Join(commands[1:], "|"); !strings.HasPrefix(got, "MAIL FROM:<dpo@example.kz>") ||
				!strings.Contains(got, "RCPT TO:<"+m.To+">") || !strings.HasSuffix(got, "DATA|QUIT") {
				t.Errorf("commands %q, want %q", commands, wantCmds)
			}
		})
	}

	t.Run("a To that is not an e-mail address is refused without contacting the server", func(t *testing.T) {
		t.Parallel()

		f := startFakeSMTP(t, nil, "")
		n := newSMTP(t, notify.SMTPConfig{Addr: f.addr(), From: "dpo@example.kz", StartTLS: "never"})
		for _, to := range []string{"+77011234567", "", "aliya", "aliya@", "Әлия <aliya@example.kz>", "aliya@example.kz\r\nBcc: x@example.kz"} {
			m := kazakhMessages()[0]
			m.To = to
			err := n.Notify(context.Background(), m)
			if !errors.Is(err, notify.ErrNotEmail) {
				t.Errorf("To %q: err = %v, want ErrNotEmail", to, err)
				continue
			}
			if !strings.Contains(err.Error(), "not an e-mail address") || !strings.Contains(err.Error(), m.Ref) {
				t.Errorf("error %q", err)
			}
			if to != "" && strings.Contains(err.Error(), to) {
				t.Errorf("error %q shows the address", err)
			}
		}
		if conns, _, _ := f.session(); conns != 0 {
			t.Errorf("%d connections to the server, want none", conns)
		}
	})

	t.Run("a refused recipient is a StatusError without the server's text, which repeats the address", func(t *testing.T) {
		t.Parallel()

		m := kazakhMessages()[0]
		f := startFakeSMTP(t, nil, "550 5.1.1 <"+m.To+">: Recipient address rejected: Әлия unknown")
		n := newSMTP(t, notify.SMTPConfig{Addr: f.addr(), From: "dpo@example.kz", StartTLS: "auto"})
		err := n.Notify(context.Background(), m)
		se, ok := errors.AsType[*notify.StatusError](err)
		if !ok || se.Code != 550 || se.Enhanced != "5.1.1" || se.Via != "SMTP RCPT" || se.Ref != m.Ref {
			t.Fatalf("err = %#v, want a StatusError 550 5.1.1 at RCPT", err)
		}
		for _, s := range secretsOf(m) {
			if strings.Contains(err.Error(), s) {
				t.Errorf("error %q contains %q", err, s)
			}
		}
		if _, _, data := f.session(); len(data) != 0 {
			t.Errorf("%d messages accepted, want none", len(data))
		}
	})

	t.Run("StartTLS always refuses a server that does not offer it, before MAIL", func(t *testing.T) {
		t.Parallel()

		f := startFakeSMTP(t, []string{"AUTH PLAIN"}, "")
		n := newSMTP(t, notify.SMTPConfig{Addr: f.addr(), From: "dpo@example.kz", StartTLS: "always", Username: "dpo", Password: "hunter2-pass"})
		err := n.Notify(context.Background(), kazakhMessages()[0])
		if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
			t.Fatalf("err = %v, want a STARTTLS error", err)
		}
		_, commands, _ := f.session()
		for _, c := range commands {
			if v, _, _ := strings.Cut(c, " "); v != "EHLO" && v != "QUIT" {
				t.Errorf("the server got %q", c)
			}
		}
	})

	t.Run("credentials go by AUTH PLAIN to a loopback server", func(t *testing.T) {
		t.Parallel()

		f := startFakeSMTP(t, []string{"AUTH PLAIN LOGIN"}, "")
		n := newSMTP(t, notify.SMTPConfig{Addr: f.addr(), From: "dpo@example.kz", StartTLS: "never", Username: "dpo", Password: "hunter2-pass"})
		if err := n.Notify(context.Background(), kazakhMessages()[0]); err != nil {
			t.Fatal(err)
		}
		_, commands, _ := f.session()
		want := "AUTH PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00dpo\x00hunter2-pass"))
		if len(commands) < 2 || commands[1] != want {
			t.Errorf("commands %q, want %q second", commands, want)
		}
	})

	t.Run("a server that does not answer is given up at the timeout", func(t *testing.T) {
		t.Parallel()

		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
		wg.Add(1)
		go func() { // accepts and says nothing until the client leaves
			defer wg.Done()
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			_, _ = io.Copy(io.Discard, c)
		}()
		n := newSMTP(t, notify.SMTPConfig{Addr: ln.Addr().String(), From: "dpo@example.kz", Timeout: 200 * time.Millisecond})
		start := time.Now()
		err = n.Notify(context.Background(), kazakhMessages()[0])
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("gave up after %v", d)
		}
	})

	t.Run("NewSMTP refuses bad configurations without showing the password", func(t *testing.T) {
		t.Parallel()

		const pw = "hunter2-pass"
		cases := []notify.SMTPConfig{
			{Addr: "mail.example.kz", From: "dpo@example.kz"},
			{Addr: "mail.example.kz:587", From: "not an address"},
			{Addr: "mail.example.kz:587", From: "dpo@example.kz", StartTLS: "sometimes", Username: "dpo", Password: pw},
			{Addr: "mail.example.kz:587", From: "dpo@example.kz", Password: pw},
			{Addr: "mail.example.kz:587", From: "dpo@example.kz", StartTLS: "never", Username: "dpo", Password: pw},
			{Addr: "mail.example.kz:587", From: "dpo@example.kz", Timeout: -time.Second, Username: "dpo", Password: pw},
		}
		for _, cfg := range cases {
			_, err := notify.NewSMTP(cfg)
			if err == nil {
				t.Errorf("NewSMTP(%v) succeeded", cfg)
				continue
			}
			if strings.Contains(err.Error(), pw) {
				t.Errorf("error %q shows the password", err)
			}
		}
	})

	t.Run("the configuration and the notifier print and log without the password", func(t *testing.T) {
		t.Parallel()

		const pw = "hunter2-pass"
		cfg := notify.SMTPConfig{Addr: "mail.example.kz:587", From: "dpo@example.kz", Username: "dpo", Password: pw}
		n := newSMTP(t, cfg)
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "smtp", cfg)
		outs := []string{buf.String()}
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
			outs = append(outs, fmt.Sprintf(verb, cfg), fmt.Sprintf(verb, n), fmt.Sprintf(verb, &cfg))
		}
		for _, out := range outs {
			if strings.Contains(out, pw) || strings.Contains(out, fmt.Sprintf("%x", pw)) {
				t.Errorf("shows the password: %s", out)
			}
		}
	})
}
