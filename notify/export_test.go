package notify

// FromURLWithEnv is FromURL reading the environment through getenv, so tests
// can give DERBES_NOTIFY_SECRET without t.Setenv (which rules out
// t.Parallel).
var FromURLWithEnv = fromURL
