-- The transactional outbox and the idempotent inbox of this service (see rx-messaging).
-- Unqualified names resolve to the service's own schema through the pool's search path.

CREATE TABLE outbox (
    id           uuid PRIMARY KEY,              -- UUIDv7: time-ordered, also the AMQP message id
    routing_key  text NOT NULL,
    clinic_id    text NOT NULL,
    payload      bytea NOT NULL,                -- protobuf-encoded event
    headers      jsonb NOT NULL DEFAULT '{}',   -- trace context and clinic id
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);

-- The relay reads only unsent rows, oldest first.
CREATE INDEX outbox_unsent ON outbox (id) WHERE published_at IS NULL;

CREATE TABLE inbox (
    message_id   text PRIMARY KEY,
    routing_key  text NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX inbox_processed_at ON inbox (processed_at);
