-- The console's language, remembered per staff member rather than per
-- browser: a responsible person who works in Kazakh keeps Kazakh on every
-- machine she signs in from. '' means "not chosen yet".
ALTER TABLE staff ADD COLUMN lang TEXT NOT NULL DEFAULT '';
