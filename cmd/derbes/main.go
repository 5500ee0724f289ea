// Command derbes is the personal-data vault: it serves the API and runs the
// administrator's tasks. Run `derbes --help` for the commands.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/alecthomas/kong"
	"go.yaml.in/yaml/v3"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// Globals are the options every command shares. Each may also be set in the
// environment (DERBES_…) or in the configuration file (--config).
type Globals struct {
	Config   kong.ConfigFlag `help:"Configuration file (YAML): keys are the long option names, e.g. data-dir. ./derbes.yaml is read when present." env:"DERBES_CONFIG" placeholder:"FILE"`
	DataDir  string          `help:"Data directory of the embedded store." default:"./derbes-data" type:"path" env:"DERBES_DATA_DIR"`
	DB       string          `help:"Database: empty for the embedded store, or postgres://user@host/db." env:"DERBES_DB" placeholder:"URL"`
	Schema   string          `help:"PostgreSQL schema for the data (keys go to SCHEMA_keys)." default:"derbes" env:"DERBES_SCHEMA"`
	Keyring  string          `help:"Keyring file, kept apart from the data (create it with 'derbes keys init')." default:"./derbes-keyring.json" type:"path" env:"DERBES_KEYRING_FILE"`
	LogLevel string          `help:"Log level: debug, info, warn, error." default:"info" enum:"debug,info,warn,error" env:"DERBES_LOG_LEVEL"`
	// CalendarDir holds year files that correct or extend the embedded
	// working-day calendar (the yearly order on transfers of days off).
	CalendarDir string `help:"Directory of working-day calendar year files (YYYY.yaml) that correct or add years." type:"path" env:"DERBES_CALENDAR_DIR" name:"calendar-dir"`
	Notify      string `help:"Where notices to subjects and alerts go: log: (development: a log line without personal data), webhook+https://…?secret=…, smtp://user@host:587?from=…" default:"log:" env:"DERBES_NOTIFY"`
}

// CLI is the command line.
type CLI struct {
	Globals

	Serve     ServeCmd     `cmd:"" help:"Serve the API."`
	Demo      DemoCmd      `cmd:"" help:"Serve the iKomek example policy with demo data: the quick start."`
	Policy    PolicyCmd    `cmd:"" help:"Check policy files."`
	Journal   JournalCmd   `cmd:"" help:"Verify or export the journal."`
	Keys      KeysCmd      `cmd:"" help:"Create or rotate keys."`
	APIKeys   APIKeysCmd   `cmd:"" name:"apikeys" help:"Issue, list and revoke API keys."`
	Consent   ConsentCmd   `cmd:"" help:"Record withdrawals of consent and reasoned refusals."`
	Requests  RequestsCmd  `cmd:"" help:"Subjects' requests: the responsible person's lists."`
	Sweep     SweepCmd     `cmd:"" help:"Destroy or depersonalise every record whose term has ended or whose ground is gone (once; serve runs it hourly)."`
	Jobs      JobsCmd      `cmd:"" help:"How the periodic jobs stand and how they went (exit 3 while a job's last run failed)."`
	Acts      ActsCmd      `cmd:"" help:"Acts of destruction."`
	Retention RetentionCmd `cmd:"" help:"What is due for destruction."`
	Export    ExportCmd    `cmd:"" help:"Exports for the operator."`
	Staff     StaffCmd     `cmd:"" help:"Staff accounts."`
	Access    AccessCmd    `cmd:"" help:"Who has access to what."`
	Incidents IncidentsCmd `cmd:"" help:"The incident register."`
	Import    ImportCmd    `cmd:"" help:"Import subjects from a CSV or XLSX file (UTF-8, UTF-8 with BOM, Windows-1251); resumable."`
	Backup    BackupCmd    `cmd:"" help:"Copy the embedded store while it serves."`
	Restore   RestoreCmd   `cmd:"" help:"Put a backup back (derbes stopped)."`
	Calendar  CalendarCmd  `cmd:"" help:"Show the working-day calendar."`
	Bench     BenchCmd     `cmd:"" help:"Measure derbes on this machine (in a scratch store)."`
	Version   VersionCmd   `cmd:"" help:"Print the version."`
}

// exitError carries an exit status out of a command.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func main() {
	var cli CLI
	ctx := kong.Parse(&cli,
		kong.Name("derbes"),
		kong.Description("derbes keeps personal data under Kazakhstan's Law 94-V: encrypted, used only for declared purposes, every action journaled."),
		kong.UsageOnError(),
		kong.Configuration(yamlConfig, "./derbes.yaml"),
		kong.Vars{"version": version},
	)
	err := ctx.Run(&cli.Globals)
	if err == nil {
		return
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(os.Stderr, ee.msg)
		}
		os.Exit(ee.code)
	}
	fmt.Fprintln(os.Stderr, "derbes:", err)
	os.Exit(1)
}

// yamlConfig reads the configuration file: YAML with the long option names
// as keys, turned into JSON for kong.
func yamlConfig(r io.Reader) (kong.Resolver, error) {
	var m map[string]any
	if err := yaml.NewDecoder(r).Decode(&m); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("configuration file: %w", err)
	}
	// kong's JSON resolver looks a flag up as data_dir or dataDir, never
	// as the option's own name data-dir, which the file uses.
	keyed := make(map[string]any, len(m))
	for k, v := range m {
		keyed[strings.ReplaceAll(k, "-", "_")] = v
	}
	b, err := json.Marshal(keyed)
	if err != nil {
		return nil, fmt.Errorf("configuration file: %w", err)
	}
	return kong.JSON(bytes.NewReader(b))
}

// VersionCmd prints the version.
type VersionCmd struct{}

// Run prints the version.
func (VersionCmd) Run() error {
	fmt.Println("derbes", version)
	return nil
}
