-- Claims' own data: what it knows of prescriptions and coverage (from events), sessions,
-- claims with their history and X12 documents, remittance postings and X12 control numbers.
-- Every table holding patient data carries clinic_id; money is numeric(12,2).

-- The scope of an accepted prescription (prescription.accepted.v1).
CREATE TABLE prescriptions (
    id                 uuid PRIMARY KEY,
    clinic_id          text NOT NULL,
    patient_id         uuid NOT NULL,
    patient_family     text NOT NULL DEFAULT '',
    patient_given      text NOT NULL DEFAULT '',
    patient_birth_date date,
    patient_sex        text NOT NULL DEFAULT '',
    -- {"line1", "line2", "city", "state", "postal_code"} when intake knew it
    patient_address    jsonb,
    payer_id           text NOT NULL DEFAULT '',
    payer_name         text NOT NULL DEFAULT '',
    member_id          text NOT NULL DEFAULT '',
    relationship       text NOT NULL DEFAULT '',
    prescriber_npi     text NOT NULL,
    prescriber_family  text NOT NULL DEFAULT '',
    prescriber_given   text NOT NULL DEFAULT '',
    diagnoses          text[] NOT NULL,
    procedures         text[] NOT NULL,
    sessions           integer NOT NULL,
    valid_from         date NOT NULL,
    valid_until        date NOT NULL,
    body_sites         jsonb NOT NULL DEFAULT '[]',
    received_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX prescriptions_patient ON prescriptions (clinic_id, patient_id);

-- The latest eligibility answer per prescription (eligibility.checked.v1). It may arrive
-- before the prescription, so there is no foreign key.
CREATE TABLE coverage_checks (
    prescription_id uuid PRIMARY KEY,
    clinic_id       text NOT NULL,
    patient_id      text NOT NULL DEFAULT '',
    decision        text NOT NULL,               -- covered, not_covered, prior_auth_required, needs_attention
    checked_at      timestamptz NOT NULL,
    payer_id        text NOT NULL DEFAULT '',
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Patient control numbers (CLM01): short, unique, never reused.
CREATE SEQUENCE claim_pcn_seq;

CREATE TABLE claims (
    id                          uuid PRIMARY KEY,
    clinic_id                   text NOT NULL,
    prescription_id             uuid NOT NULL REFERENCES prescriptions (id),
    patient_id                  uuid NOT NULL,
    patient_control_number      text NOT NULL UNIQUE,
    payer_claim_control_number  text,
    state                       text NOT NULL,
    frequency_code              text NOT NULL DEFAULT '1',
    attempts                    integer NOT NULL DEFAULT 0,
    diagnoses                   text[] NOT NULL,
    prior_authorization         text,
    place_of_service            text NOT NULL,
    rendering_npi               text NOT NULL,
    date_of_service             date NOT NULL,
    total_charge                numeric(12,2) NOT NULL DEFAULT 0,
    paid                        numeric(12,2) NOT NULL DEFAULT 0,
    patient_responsibility      numeric(12,2) NOT NULL DEFAULT 0,
    scrub_findings              text[] NOT NULL DEFAULT '{}',
    next_action                 text NOT NULL DEFAULT '',
    -- GS06 of the interchange that last carried the claim: 999s answer by group.
    last_group_control_number   bigint,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX claims_patient ON claims (clinic_id, patient_id, created_at);
CREATE INDEX claims_prescription ON claims (clinic_id, prescription_id, created_at);
CREATE INDEX claims_group ON claims (last_group_control_number);

CREATE TABLE sessions (
    id                uuid PRIMARY KEY,
    clinic_id         text NOT NULL,
    prescription_id   uuid NOT NULL REFERENCES prescriptions (id),
    claim_id          uuid NOT NULL REFERENCES claims (id),
    date_of_service   date NOT NULL,
    rendering_npi     text NOT NULL,
    place_of_service  text NOT NULL,
    body_sites        jsonb NOT NULL DEFAULT '[]',
    override_reason   text,
    overridden_rules  text[] NOT NULL DEFAULT '{}',
    idempotency_key   text,
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX sessions_idempotency ON sessions (clinic_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX sessions_prescription ON sessions (prescription_id);

-- What was delivered in a session.
CREATE TABLE session_lines (
    session_id  uuid NOT NULL REFERENCES sessions (id),
    line_no     integer NOT NULL,
    clinic_id   text NOT NULL,
    code        text NOT NULL,
    modifiers   text[] NOT NULL DEFAULT '{}',
    minutes     integer NOT NULL,
    units       integer NOT NULL,
    charge      numeric(12,2) NOT NULL,
    PRIMARY KEY (session_id, line_no)
);

-- What the claim bills (starts as the session's lines; a correction may replace them).
CREATE TABLE claim_lines (
    claim_id    uuid NOT NULL REFERENCES claims (id),
    line_no     integer NOT NULL,
    clinic_id   text NOT NULL,
    code        text NOT NULL,
    modifiers   text[] NOT NULL DEFAULT '{}',
    minutes     integer NOT NULL,
    units       integer NOT NULL,
    charge      numeric(12,2) NOT NULL,
    PRIMARY KEY (claim_id, line_no)
);

-- Every state a claim entered, with what caused it.
CREATE TABLE claim_history (
    id         bigserial PRIMARY KEY,
    claim_id   uuid NOT NULL REFERENCES claims (id),
    clinic_id  text NOT NULL,
    state      text NOT NULL,
    cause      text NOT NULL,
    at         timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX claim_history_claim ON claim_history (claim_id, id);

-- X12 documents sent and received; linked to the claims they concern. A document is stored
-- only once it concerns one of our claims, under that claim's clinic.
CREATE TABLE x12_documents (
    id         bigserial PRIMARY KEY,
    clinic_id  text NOT NULL,
    kind       text NOT NULL,                    -- 837P, 999, 277CA, 835
    direction  text NOT NULL,                    -- outbound, inbound
    content    text NOT NULL,
    at         timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE claim_artifacts (
    claim_id     uuid NOT NULL REFERENCES claims (id),
    document_id  bigint NOT NULL REFERENCES x12_documents (id),
    clinic_id    text NOT NULL,
    PRIMARY KEY (claim_id, document_id)
);

-- One row per claim payment (CLP) applied; the key makes a repeated 835 a no-op.
CREATE TABLE remittance_postings (
    posting_key             text PRIMARY KEY,
    claim_id                uuid NOT NULL REFERENCES claims (id),
    clinic_id               text NOT NULL,
    status                  text NOT NULL,       -- CLP02
    charge                  numeric(12,2) NOT NULL,
    paid                    numeric(12,2) NOT NULL,
    patient_responsibility  numeric(12,2) NOT NULL,
    adjustments             text[] NOT NULL DEFAULT '{}',
    posted_at               timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX remittance_postings_claim ON remittance_postings (claim_id);

-- ISA13/GS06 per trading partner: allocated with UPDATE ... RETURNING, so unique and
-- increasing even with several replicas.
CREATE TABLE x12_control_numbers (
    partner          text PRIMARY KEY,
    last_interchange bigint NOT NULL DEFAULT 0 CHECK (last_interchange BETWEEN 0 AND 999999999)
);
