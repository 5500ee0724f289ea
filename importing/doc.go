// Package importing brings operators' existing spreadsheets into the vault
// (`derbes import`): CSV in UTF-8, UTF-8 with BOM or Windows-1251, and XLSX.
//
// A Mapping says which column holds which policy field and what the batch
// is (subject category, purpose, channel, ground and, on consent, the
// consent's terms); NewPlan checks it against the file's header and the
// policy before anything runs. Run then turns every row into a subject
// with its first record (vault.CreateSubject, under the actor
// "import:<id>"), or with Merge adds the record to the subject that
// already has the row's IIN.
//
// Every row gets an outcome (created, merged, duplicate, failed, empty);
// the report lists all but the created ones by line, code and field, never
// by value. A state file beside the input records how far the import got,
// so that running it again continues where it stopped, without storing a
// row twice even after a crash (see State and reconcile). The journal
// frames the rows' own entries with import.start and import.end.
//
// A dry run checks every row with the vault's own rules (the kz parsers,
// the policy's fields, consent.Check), repeated here because the vault has
// no dry-run call, and stores nothing.
package importing
