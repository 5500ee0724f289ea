package main_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// serveFlags returns the long option names `derbes serve` takes (its own
// and the global ones).
func serveFlags(t *testing.T) []string {
	t.Helper()
	code, out, errs := run(t, t.TempDir(), nil, "serve", "--help")
	if code != 0 {
		t.Fatalf("serve --help: %d %s", code, errs)
	}
	var flags []string
	for _, m := range regexp.MustCompile(`(?m)^\s+(?:-\w, )?--([a-z][a-z-]*)`).FindAllStringSubmatch(out, -1) {
		flags = append(flags, m[1])
	}
	if !slices.Contains(flags, "listen") || !slices.Contains(flags, "data-dir") {
		t.Fatalf("serve --help names no flags the test knows:\n%s", out)
	}
	return flags
}

func TestTheExampleConfigurationNamesRealOptionsAndIsRead(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("../../deploy/derbes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var conf map[string]any
	if err := yaml.Unmarshal(src, &conf); err != nil {
		t.Fatal(err)
	}
	flags := serveFlags(t)
	for key := range conf {
		if !slices.Contains(flags, key) {
			t.Errorf("deploy/derbes.yaml sets %q, which is not an option of derbes serve", key)
		}
	}
	for _, key := range []string{"db", "keyring", "policy", "listen"} {
		if _, ok := conf[key]; !ok {
			t.Errorf("deploy/derbes.yaml does not set %q", key)
		}
	}
	// The file is read, with its dashed keys: the keyring goes where it
	// says (here moved from /etc/derbes into a scratch directory).
	dir := t.TempDir()
	local := strings.ReplaceAll(string(src), "/etc/derbes", dir)
	if err := os.WriteFile(filepath.Join(dir, "derbes.yaml"), []byte(local), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := run(t, dir, nil, "--config", filepath.Join(dir, "derbes.yaml"), "keys", "init"); code != 0 {
		t.Fatalf("keys init with the example configuration: %d %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "keyring.json")); err != nil {
		t.Fatalf("the configuration's keyring was not used: %v", err)
	}
}

func TestTheSystemdUnitAndTheDockerfileRunRealFlags(t *testing.T) {
	t.Parallel()
	flags := serveFlags(t)
	unit, err := os.ReadFile("../../deploy/derbes.service")
	if err != nil {
		t.Fatal(err)
	}
	exec := regexp.MustCompile(`(?m)^ExecStart=(\S+) (.*)$`).FindStringSubmatch(string(unit))
	if exec == nil {
		t.Fatal("deploy/derbes.service has no ExecStart")
	}
	docker, err := os.ReadFile("../../deploy/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	cmd := regexp.MustCompile(`(?m)^CMD \[(.*)\]$`).FindStringSubmatch(string(docker))
	if cmd == nil {
		t.Fatal("deploy/Dockerfile has no CMD")
	}
	for name, args := range map[string][]string{
		"derbes.service": strings.Fields(exec[2]),
		"Dockerfile":     strings.Fields(strings.NewReplacer(`"`, "", ",", "").Replace(cmd[1])),
	} {
		if !slices.Contains(args, "serve") {
			t.Errorf("%s does not run serve: %v", name, args)
		}
		for _, a := range args {
			if f, ok := strings.CutPrefix(a, "--"); ok {
				f, _, _ = strings.Cut(f, "=")
				if !slices.Contains(flags, f) {
					t.Errorf("%s passes --%s, which derbes serve does not take", name, f)
				}
			}
		}
		if !slices.Contains(args, "/etc/derbes/derbes.yaml") {
			t.Errorf("%s does not read /etc/derbes/derbes.yaml, where deploy/derbes.yaml says it goes", name)
		}
	}
	_, help, _ := run(t, t.TempDir(), nil, "serve", "--help")
	for _, env := range regexp.MustCompile(`DERBES_[A-Z_]+`).FindAllString(string(unit)+string(docker), -1) {
		if !strings.Contains(help, "$"+env) {
			t.Errorf("the deployment files mention %s, which derbes does not read", env)
		}
	}
}
