package web

import (
	"bytes"
	"net/http"

	"github.com/derbes/derbes/policy"
)

// noticeView is the consent notice of one purpose: what Art. 8 p.4 asks a
// consent to name (the operator and its BIN, the data, transfers), with the
// grounds, the retention and the right to withdraw.
type noticeView struct {
	Purpose  purposeView
	Operator operatorView
	Lede     string
	// Withdraw is set for a purpose that rests on consent.
	Withdraw string
	Number   int64
	Label    string
	// PolicyURL and the other links are relative: the snippet makes them
	// absolute on the operator's site.
	PolicyURL string
	// Fragment is set when only the notice is rendered, for the snippet.
	Fragment bool
}

// noticesView lists the purposes, each with its notice.
type noticesView struct {
	Purposes []purposeView
}

// notice serves the consent notice of ?purpose=, as a page or, with
// format=fragment, as the bare notice the snippet inserts on an operator's
// site (which is why the fragment may be read from any origin: it is
// public, and no credentials are sent). Without a purpose it lists them.
func (s *server) notice(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(w, r, "notices")
	q := r.URL.Query()
	fragment := q.Get("format") == "fragment"
	if fragment {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Cross-Origin-Resource-Policy", "cross-origin")
	}
	a := s.vault.Policy()
	if a == nil {
		s.problem(w, r, p, http.StatusServiceUnavailable, "no_policy")
		return
	}
	id := q.Get("purpose")
	if id == "" && !fragment {
		v := noticesView{}
		for _, pu := range a.Purposes {
			v.Purposes = append(v.Purposes, buildPurpose(p.Lang, a.Policy, pu))
		}
		p.Title, p.Data = T(p.Lang, "notice.list_title"), v
		s.render(w, r, http.StatusOK, "notices", p)
		return
	}
	pu, ok := a.Purpose(id)
	if !ok {
		s.problem(w, r, p, http.StatusNotFound, "no_purpose")
		return
	}
	v := buildNotice(p.Lang, a.Policy, pu)
	v.Number, v.Label, v.PolicyURL, v.Fragment = a.Version, a.Policy.Version, "/policy?lang="+p.Lang, fragment
	p.Title, p.Data = T(p.Lang, "notice.title"), v
	if !fragment {
		s.render(w, r, http.StatusOK, "notice", p)
		return
	}
	var buf bytes.Buffer
	if err := s.pages["notice"].ExecuteTemplate(&buf, "notice-body", p); err != nil {
		s.fail(w, r, p, err)
		return
	}
	s.write(w, http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
}

func buildNotice(lang string, p *policy.Policy, pu policy.Purpose) noticeView {
	v := noticeView{Purpose: buildPurpose(lang, p, pu), Operator: buildOperator(lang, p)}
	if v.Purpose.Consent {
		v.Lede = T(lang, "notice.lede_consent")
		v.Withdraw = tf(lang, "notice.withdraw", tn(lang, "unit.workdays", p.EffectiveDeadlines().Withdrawal), article(lang, "Art. 8 p.7"))
	} else {
		v.Lede = T(lang, "notice.lede_other")
	}
	return v
}

// snippet serves the script an operator's site includes to show a notice
// above a form and send the evidence of consent with it (static/).
func (s *server) snippet(w http.ResponseWriter, r *http.Request) {
	b, err := staticFiles.ReadFile("static/consent-snippet.js")
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	w.Write(b)
}
