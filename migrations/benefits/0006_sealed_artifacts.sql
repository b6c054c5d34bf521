-- The raw 270/271 of every check name the patient: they are kept sealed (AES-256-GCM envelope,
-- rx-seal) like intake's documents. Rows stored before stay readable as they are.
ALTER TABLE x12_artifacts ALTER COLUMN content TYPE bytea USING convert_to(content, 'UTF8');
