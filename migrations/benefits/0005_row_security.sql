-- Clinics kept apart by the database: row-level security on every table holding patient data
-- or events about it. The running service connects as rxbridge_benefits_app, which owns nothing
-- (policies bind it); FORCE makes them bind the owner too. A transaction sees a clinic's rows
-- only after `SET LOCAL rxbridge.clinic_id` (rx_platform::tenancy); without it, none.

-- The runtime role: data access on what exists (default privileges cover later tables), but
-- never a change to the audit trail or the migration history.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA benefits TO rxbridge_benefits_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA benefits TO rxbridge_benefits_app;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM rxbridge_benefits_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON _sqlx_migrations FROM rxbridge_benefits_app;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['outbox', 'coverages', 'eligibility_checks', 'x12_artifacts', 'fee_schedules', 'prescriptions_seen', 'audit_log'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', t);
        -- NULLIF: a pooled connection keeps the setting as '' after an earlier transaction
        EXECUTE format($p$CREATE POLICY clinic_isolation ON %I
            USING (clinic_id = NULLIF(current_setting('rxbridge.clinic_id', true), ''))
            WITH CHECK (clinic_id = NULLIF(current_setting('rxbridge.clinic_id', true), ''))$p$, t);
    END LOOP;
END $$;

-- Refused calls without a clinic (no or bad token) are still audited; nobody reads them back
-- through the service.
CREATE POLICY anonymous_refusals ON audit_log FOR INSERT WITH CHECK (clinic_id = '');

-- Cross-clinic tasks, each on its own tables (rx_platform::tenancy::Task).
CREATE POLICY relay ON outbox USING (current_setting('rxbridge.task', true) = 'relay');
CREATE POLICY recheck_read ON prescriptions_seen FOR SELECT USING (current_setting('rxbridge.task', true) = 'recheck');
CREATE POLICY recheck_lease ON prescriptions_seen FOR UPDATE USING (current_setting('rxbridge.task', true) = 'recheck');
CREATE POLICY rewrap_read ON x12_artifacts FOR SELECT USING (current_setting('rxbridge.task', true) = 'rewrap');
CREATE POLICY rewrap_write ON x12_artifacts FOR UPDATE USING (current_setting('rxbridge.task', true) = 'rewrap');
