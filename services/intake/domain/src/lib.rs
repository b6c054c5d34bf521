//! prescriptions (being written)
