-- A prescription whose check found the payer unavailable is checked again by itself, with
-- growing delays, until a payer answers or the attempts run out.
ALTER TABLE prescriptions_seen
    -- next attempt; NULL once settled (or while none is wanted)
    ADD COLUMN recheck_at timestamptz,
    ADD COLUMN recheck_attempts integer NOT NULL DEFAULT 0;

CREATE INDEX prescriptions_seen_recheck_due ON prescriptions_seen (recheck_at) WHERE recheck_at IS NOT NULL;
