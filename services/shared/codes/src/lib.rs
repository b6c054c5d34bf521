//! Code sets and identifiers (being written).

pub mod cpt;
