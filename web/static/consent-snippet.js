/*
 * derbes consent snippet: shows the consent notice of one purpose above a
 * form on the operator's own website, and sends the evidence of the site
 * action (seed 000 §8.3) with the form.
 *
 *   <script src="https://derbes.example/consent-snippet.js"
 *           data-purpose="marketing" data-lang="kk"
 *           data-form="#subscribe"            (optional: a CSS selector;
 *                                              default: the next form)
 *           data-endpoint="/consent-evidence" (optional: see below)
 *           defer></script>
 *
 * The notice comes from derbes (GET /consent-notice?format=fragment), the
 * same source as the published policy. When it has been shown, submitting
 * the form adds a hidden field "derbes_consent" holding JSON:
 *   {"kind":"website","purpose":…,"lang":…,"page":<origin + path>,
 *    "policy_version":<activation No.>,"policy_label":…,
 *    "notice_shown_at":…,"submitted_at":…}
 * and, if data-endpoint is set, also posts that JSON there with
 * navigator.sendBeacon (the endpoint must be on the page's own origin).
 *
 * The browser never holds an API key and never talks to the derbes API.
 * The operator's back end, which receives the form, creates or finds the
 * subject and records the consent itself:
 *   POST /v1/subjects/{id}/consents with its own API key, body
 *   {"subject_name":…,"purposes":[purpose],"fields":[…],
 *    "form":{"kind":"website","page":page,
 *            "reference":"notice of policy version N shown, form submitted",
 *            "client_ip":<the request's address>}}
 * derbes records the policy version in force with the consent; the back
 * end should check that policy_version equals it (GET /v1/policy) and
 * record no consent when the field is missing: then no notice was shown.
 *
 * Small on purpose: no dependencies, no eval, no inline styles. The page's
 * query string and fragment are never sent (they can hold personal data).
 */
(function () {
	"use strict";
	var script = document.currentScript;
	if (!script || !window.fetch || !window.DOMParser) {
		return;
	}
	var purpose = script.getAttribute("data-purpose");
	var lang = script.getAttribute("data-lang") || "kk";
	var endpoint = script.getAttribute("data-endpoint");
	var selector = script.getAttribute("data-form");
	var origin = new URL(script.src, location.href).origin;
	var shown = null;

	function findForm() {
		if (selector) {
			return document.querySelector(selector);
		}
		var forms = document.getElementsByTagName("form");
		for (var i = 0; i < forms.length; i++) {
			if (script.compareDocumentPosition(forms[i]) & Node.DOCUMENT_POSITION_FOLLOWING) {
				return forms[i];
			}
		}
		return null;
	}

	function evidence() {
		return {
			kind: "website",
			purpose: purpose,
			lang: lang,
			page: location.origin + location.pathname,
			policy_version: Number(shown.version),
			policy_label: shown.label,
			notice_shown_at: shown.at,
			submitted_at: new Date().toISOString()
		};
	}

	function hidden(form, value) {
		var input = form.querySelector('input[type="hidden"][name="derbes_consent"]');
		if (!input) {
			input = document.createElement("input");
			input.type = "hidden";
			input.name = "derbes_consent";
			form.appendChild(input);
		}
		input.value = value;
	}

	function start() {
		var form = findForm();
		if (!form || !purpose) {
			return;
		}
		var url = origin + "/consent-notice?format=fragment&purpose=" + encodeURIComponent(purpose) +
			"&lang=" + encodeURIComponent(lang);
		fetch(url, {mode: "cors", credentials: "omit", referrerPolicy: "no-referrer"})
			.then(function (r) {
				if (!r.ok) {
					throw new Error("derbes: consent notice: HTTP " + r.status);
				}
				return r.text();
			})
			.then(function (html) {
				var doc = new DOMParser().parseFromString(html, "text/html");
				var notice = doc.querySelector("section.derbes-notice");
				if (!notice) {
					throw new Error("derbes: consent notice: unexpected answer");
				}
				// Links in the notice lead to derbes, not to the operator's site.
				var links = notice.querySelectorAll("a[href]");
				for (var i = 0; i < links.length; i++) {
					links[i].href = new URL(links[i].getAttribute("href"), origin).href;
				}
				notice = document.adoptNode(notice);
				form.parentNode.insertBefore(notice, form);
				shown = {
					version: notice.getAttribute("data-policy-version"),
					label: notice.getAttribute("data-policy-label"),
					at: new Date().toISOString()
				};
				hidden(form, JSON.stringify(evidence()));
			})
			.catch(function (e) {
				if (window.console) {
					console.warn(e.message);
				}
			});
		// Capture, so the evidence is in place before the page's own submit
		// handlers read the form.
		window.addEventListener("submit", function (e) {
			if (e.target !== form || !shown) {
				return;
			}
			var body = JSON.stringify(evidence());
			hidden(form, body);
			if (endpoint && navigator.sendBeacon) {
				navigator.sendBeacon(endpoint, new Blob([body], {type: "application/json"}));
			}
		}, true);
	}

	if (document.readyState === "loading") {
		document.addEventListener("DOMContentLoaded", start);
	} else {
		start();
	}
})();
