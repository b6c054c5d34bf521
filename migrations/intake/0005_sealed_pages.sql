-- OCR text is patient data like the page it was read from: it is stored sealed (envelope
-- encryption, see services/shared/seal), so the column holds bytes. Rows written before keep
-- their text as UTF-8 bytes and still read; `rxbridge keys rewrap` seals them.
ALTER TABLE ocr_pages ALTER COLUMN text TYPE bytea USING convert_to(text, 'UTF8');
