//! HL7 v2 parsing (being written)
