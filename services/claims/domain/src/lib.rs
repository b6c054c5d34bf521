//! claims (being written)
