//! FHIR R4 resources (being written)
