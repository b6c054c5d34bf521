//! eligibility (being written)
