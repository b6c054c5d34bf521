-- The audit trail: one row per call that read or changed patient data, and per refused call
-- (proto/rxbridge/audit/v1). Ids only, never patient data values. Append-only: the service
-- inserts and reads rows but can neither change nor remove them; the trigger stops even the
-- table's owner, and only a schema change (reviewed, migrated) could lift it.
CREATE TABLE audit_log (
    id            uuid PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    clinic_id     text NOT NULL,
    subject       text NOT NULL,
    roles         text NOT NULL DEFAULT '',
    action        text NOT NULL,
    resource_type text NOT NULL DEFAULT '',
    resource_id   text NOT NULL DEFAULT '',
    patient_id    text NOT NULL DEFAULT '',
    peer          text NOT NULL DEFAULT '',
    outcome       text NOT NULL
);
CREATE INDEX audit_log_clinic_at ON audit_log (clinic_id, at DESC);
CREATE INDEX audit_log_clinic_patient ON audit_log (clinic_id, patient_id, at DESC) WHERE patient_id <> '';
CREATE INDEX audit_log_clinic_subject ON audit_log (clinic_id, subject, at DESC);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM CURRENT_USER;
