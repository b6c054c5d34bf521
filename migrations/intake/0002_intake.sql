-- Intake's records: every document as received (readable or not), the patients matched from
-- them, the canonical prescriptions with their extracted fields, OCR pages for review, the
-- status history and every review correction. Every table holding patient data has clinic_id.

CREATE TABLE documents (
    id              uuid PRIMARY KEY,
    clinic_id       text NOT NULL,
    content         bytea NOT NULL,
    media_type      text NOT NULL,
    -- detected format: fax, fhir_r4, hl7v2 or unknown
    format          text NOT NULL,
    sha256          text NOT NULL,
    idempotency_key text,
    source_label    text NOT NULL DEFAULT '',
    -- how it arrived: grpc, fhir_rest, mllp
    channel         text NOT NULL,
    readable        boolean NOT NULL,
    -- why an unreadable document was refused (no patient data)
    error           text,
    received_at     timestamptz NOT NULL DEFAULT now()
);
-- Only readable documents deduplicate; unreadable ones are all kept as evidence.
CREATE UNIQUE INDEX documents_idempotency ON documents (clinic_id, idempotency_key)
    WHERE readable AND idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX documents_sha256 ON documents (clinic_id, sha256) WHERE readable;

CREATE TABLE patients (
    id          uuid PRIMARY KEY,
    clinic_id   text NOT NULL,
    family      text NOT NULL,
    given       text NOT NULL,
    birth_date  date NOT NULL,
    member_id   text NOT NULL DEFAULT '',
    -- normalised match keys (lower case, single spaces)
    family_key  text NOT NULL,
    given_key   text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (clinic_id, family_key, given_key, birth_date, member_id)
);

CREATE TABLE prescriptions (
    id              uuid PRIMARY KEY,
    clinic_id       text NOT NULL,
    document_id     uuid NOT NULL UNIQUE REFERENCES documents (id),
    patient_id      uuid REFERENCES patients (id),
    status          text NOT NULL CHECK (status IN ('accepted', 'needs_review', 'rejected')),
    format          text NOT NULL,
    -- the canonical fields (list of {name, values, confidence, source})
    canonical       jsonb NOT NULL,
    review_reasons  text[] NOT NULL DEFAULT '{}',
    prescriber_npi  text,
    primary_diagnosis text,
    valid_from      date,
    valid_until     date,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX prescriptions_patient ON prescriptions (clinic_id, patient_id, created_at DESC);
CREATE INDEX prescriptions_pending ON prescriptions (clinic_id, created_at) WHERE status = 'needs_review';

CREATE TABLE extracted_fields (
    prescription_id uuid NOT NULL REFERENCES prescriptions (id) ON DELETE CASCADE,
    clinic_id       text NOT NULL,
    name            text NOT NULL,
    "values"        text[] NOT NULL,
    confidence      real NOT NULL,
    source          text NOT NULL,
    PRIMARY KEY (prescription_id, name)
);

CREATE TABLE ocr_pages (
    document_id uuid NOT NULL REFERENCES documents (id),
    clinic_id   text NOT NULL,
    page_no     integer NOT NULL,
    text        text NOT NULL,
    confidence  real NOT NULL,
    image_png   bytea,
    PRIMARY KEY (document_id, page_no)
);

CREATE TABLE status_history (
    id              bigserial PRIMARY KEY,
    prescription_id uuid NOT NULL REFERENCES prescriptions (id),
    clinic_id       text NOT NULL,
    status          text NOT NULL,
    at              timestamptz NOT NULL DEFAULT now(),
    by_subject      text NOT NULL,
    reason          text NOT NULL DEFAULT ''
);
CREATE INDEX status_history_prescription ON status_history (prescription_id, id);

CREATE TABLE review_corrections (
    id              bigserial PRIMARY KEY,
    prescription_id uuid NOT NULL REFERENCES prescriptions (id),
    clinic_id       text NOT NULL,
    field           text NOT NULL,
    old_values      text[] NOT NULL,
    new_values      text[] NOT NULL,
    by_subject      text NOT NULL,
    at              timestamptz NOT NULL DEFAULT now()
);
