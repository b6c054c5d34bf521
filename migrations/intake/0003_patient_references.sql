-- How sending systems name a clinic's patients (a FHIR `Patient/<id>`, an MRN with its
-- assigning authority), so a document that only points at a known patient is completed from
-- the registry instead of waiting for review.
CREATE TABLE patient_references (
    clinic_id   text NOT NULL,
    reference   text NOT NULL,
    patient_id  uuid NOT NULL REFERENCES patients (id),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (clinic_id, reference)
);
