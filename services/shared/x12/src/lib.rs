//! X12 EDI syntax (being written)
