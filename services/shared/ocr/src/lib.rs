//! fax OCR (being written)
