-- Claims, acknowledgments and remittances name patients: the X12 kept of them is sealed
-- (AES-256-GCM envelope, rx-seal) like intake's documents. Rows stored before stay readable.
ALTER TABLE x12_documents ALTER COLUMN content TYPE bytea USING convert_to(content, 'UTF8');
