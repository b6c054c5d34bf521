-- A prescription's extracted fields (values, confidence, where each was read) live in its
-- `canonical` column, which everything reads them from: the API, review and its corrections.
-- This table held the same list again, one row per field (about twenty per prescription), and
-- nothing read it; each submission paid for those rows, their index entries and a foreign-key
-- check each. Its contents are the canonical column's, so dropping it loses nothing.
DROP TABLE extracted_fields;
