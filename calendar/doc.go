// Package calendar is Kazakhstan's working-day calendar for a five-day week,
// which every deadline of Law 94-V counts in ("1 working day", "15 working
// days"; see LAW.md, "Working days").
//
// # The calendar is data
//
// A working day is a Monday to Friday that is not a holiday and not a day off
// moved onto it, or a Saturday or Sunday that the yearly transfer order makes
// a working day. Which days those are is decided every year by the holidays
// law and by the order of the Minister of Labour on transfers of days off, so
// the package holds one YAML file per year, not rules:
//
//	year: 2026
//	official: true                # false: not confirmed by the yearly order
//	source: "order No. ... of ..."
//	kurban_ait: 2026-05-27        # first day of Kurban Ait, or "unknown"
//	holidays:                     # holidays, on whatever weekday they fall
//	  - {date: 2026-03-08, reason: "International Women's Day"}
//	days_off:                     # weekdays not worked: moved days off, transfers
//	  - {date: 2026-03-09, reason: "Women's Day moved from Sunday 8 Mar"}
//	worked: []                    # Saturdays and Sundays worked (2025: 5 Jan)
//
// The official years live in calendar/data/<year>.yaml and are embedded in
// the binary; [Default] returns them. When the yearly order is published (or a
// year must be corrected) the operator writes the year file and loads it with
// [Calendar.WithYear] or, for a directory of *.yaml files, [Calendar.Load]: a
// loaded year replaces the embedded one, no new release is needed. Files are
// validated and every error names the file and line ([FileError]). [Generate]
// writes a starting point for a year from the holiday rules; [YearFile.Encode]
// turns it into a file to check against the order, complete and load.
//
// # Missing and unconfirmed years
//
// A year that has no file is never treated as weekends only: every
// computation that reaches it fails with [ErrYearMissing]. A calendar made
// with [Calendar.Lenient] generates missing years from the rules instead; a
// generated year, like any year file marked "official: false", does not know
// the transfers of its yearly order nor (unless given) the lunar date of Kurban
// Ait, so a result that used it comes back together with an
// [*UnconfirmedError]. That error is only a warning — [IsWarning] reports it,
// and the result returned with it is the best available — but a caller that
// treats every error as fatal fails closed.
//
// # Counting rule and time zone
//
// Dates are taken in Asia/Almaty (UTC+5 since 1 March 2024; the zone database
// is embedded with time/tzdata). [Calendar.AddWorkingDays](t, n) gives the
// deadline of an action due n working days after an event at instant t:
// counting starts on the day after t's Almaty date, whether or not that date
// is itself a working day (a term that starts with an event begins the next
// day), and the deadline is the end of the n-th working day, 23:59:59.999999999
// Almaty time, so that "is it late?" is simply now.After(deadline). One
// working day after Friday 20 March 2026 (or after Saturday 21 March, a day
// off) is Thursday 26 March 2026, because 23-25 March are Nauryz days off.
//
// A Calendar is immutable and safe for concurrent use: Load, WithYear, With
// and Lenient return a new Calendar.
package calendar
