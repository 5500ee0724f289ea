package access

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// OIDCConfig connects staff sign-in to an operator's directory through
// OpenID Connect (authorization code flow).
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; its discovery document is read
	// at start.
	Issuer string
	// ClientID and ClientSecret are derbes's registration at the provider.
	ClientID, ClientSecret string
	// RedirectURL is derbes's callback: https://…/v1/login/oidc/callback.
	RedirectURL string
	// Claim names the ID token claim that is the derbes login of the
	// account: "preferred_username" (the default) or "email". The account
	// must have been created (derbes staff create), with its role: the
	// directory says who the person is, the policy what they may do.
	Claim string
	// HTTPClient, if set, is used to reach the provider.
	HTTPClient *http.Client
}

// OIDC signs staff in through an OpenID Connect provider.
type OIDC struct {
	staff    *Staff
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	claim    string
	client   *http.Client
}

// NewOIDC reads the provider's discovery document and returns the sign-in
// service.
func NewOIDC(ctx context.Context, cfg OIDCConfig, staff *Staff) (*OIDC, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("access: OpenID Connect needs an issuer, a client id and a redirect URL")
	}
	claim := cfg.Claim
	if claim == "" {
		claim = "preferred_username"
	}
	if claim != "preferred_username" && claim != "email" {
		return nil, fmt.Errorf("access: OpenID Connect claim %q: use preferred_username or email", claim)
	}
	if cfg.HTTPClient != nil {
		ctx = oidc.ClientContext(ctx, cfg.HTTPClient)
	}
	p, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("access: OpenID Connect provider: %w", err)
	}
	return &OIDC{
		staff: staff, claim: claim, client: cfg.HTTPClient,
		verifier: p.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
		oauth: oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
			Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "profile", "email"}},
	}, nil
}

// AuthURL is where to send the browser to sign in; state and nonce are
// random values the caller keeps (in a cookie) for Finish.
func (o *OIDC) AuthURL(state, nonce string) string {
	return o.oauth.AuthCodeURL(state, oidc.Nonce(nonce))
}

// NewState returns a random state or nonce.
func NewState() string { return fmt.Sprintf("%x", random(16)) }

// Finish exchanges the code the provider sent back, checks the ID token
// (signature, issuer, audience, expiry, nonce) and starts a session for
// the account its claim names. Any failure is ErrLogin, without saying
// which: the details are not the caller's business.
func (o *OIDC) Finish(ctx context.Context, code, nonce string) (string, error) {
	if o.client != nil {
		ctx = oidc.ClientContext(ctx, o.client)
	}
	tok, err := o.oauth.Exchange(ctx, code)
	if err != nil {
		return "", ErrLogin
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		return "", ErrLogin
	}
	id, err := o.verifier.Verify(ctx, raw)
	if err != nil || nonce == "" || id.Nonce != nonce {
		return "", ErrLogin
	}
	var claims map[string]any
	if err := id.Claims(&claims); err != nil {
		return "", ErrLogin
	}
	login, _ := claims[o.claim].(string)
	if login == "" {
		return "", ErrLogin
	}
	if o.claim == "email" {
		if v, ok := claims["email_verified"].(bool); !ok || !v {
			return "", ErrLogin // an address nobody proved is no identity
		}
	}
	return o.staff.SignInExternal(ctx, login, "oidc")
}
