-- Benefits: coverages (PHI, clinic-scoped), eligibility checks with their raw X12, control
-- numbers per trading partner, per-clinic fees and the prescriptions seen.

CREATE TABLE coverages (
    clinic_id text NOT NULL,
    patient_id uuid NOT NULL,
    payer_id text NOT NULL,
    member_id text NOT NULL,
    relationship text NOT NULL CHECK (relationship IN ('subscriber', 'dependent')),
    patient_family text NOT NULL DEFAULT '',
    patient_given text NOT NULL DEFAULT '',
    patient_birth_date date,
    subscriber_family text NOT NULL DEFAULT '',
    subscriber_given text NOT NULL DEFAULT '',
    subscriber_birth_date date,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (clinic_id, patient_id)
);

CREATE TABLE eligibility_checks (
    id uuid PRIMARY KEY,
    clinic_id text NOT NULL,
    patient_id uuid NOT NULL,
    payer_id text NOT NULL,
    service_type text NOT NULL,
    prescription_id uuid,
    decision text NOT NULL CHECK (decision IN ('covered', 'not_covered', 'prior_auth_required', 'needs_attention')),
    attention_reason text NOT NULL DEFAULT '',
    summary jsonb NOT NULL,
    checked_at timestamptz NOT NULL,
    from_cache boolean NOT NULL DEFAULT false,
    -- false when the payer gave no answer (unavailable): such checks are never served from cache
    payer_answered boolean NOT NULL DEFAULT true
);
CREATE INDEX eligibility_checks_latest ON eligibility_checks (clinic_id, patient_id, payer_id, service_type, checked_at DESC);

-- Every 270 sent and 271 received, byte for byte, linked to the check it served.
CREATE TABLE x12_artifacts (
    id bigserial PRIMARY KEY,
    check_id uuid NOT NULL REFERENCES eligibility_checks (id),
    clinic_id text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('270', '271')),
    attempt integer NOT NULL,
    content text NOT NULL,
    recorded_at timestamptz NOT NULL
);
CREATE INDEX x12_artifacts_check ON x12_artifacts (check_id);

-- ISA13/GS06 per trading partner: `UPDATE ... SET last = last + 1 RETURNING last` hands out
-- each number once, also across processes.
CREATE TABLE control_numbers (
    partner text PRIMARY KEY,
    last integer NOT NULL DEFAULT 0 CHECK (last >= 0 AND last <= 999999999)
);

CREATE TABLE fee_schedules (
    clinic_id text NOT NULL,
    procedure_code text NOT NULL,
    per_unit numeric(12,2) NOT NULL CHECK (per_unit >= 0),
    PRIMARY KEY (clinic_id, procedure_code)
);

CREATE TABLE prescriptions_seen (
    clinic_id text NOT NULL,
    prescription_id uuid NOT NULL,
    patient_id uuid NOT NULL,
    procedures text[] NOT NULL,
    minutes_per_session integer NOT NULL,
    sessions integer NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (clinic_id, prescription_id)
);
