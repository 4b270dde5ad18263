-- The W3C traceparent of the request or work that wrote the row: the after-commit work and the send that run
-- later (another thread, maybe another instance) start their spans as its children, so one inbound message is
-- one trace from the webhook to the provider's API. Null when nothing was tracing.
alter table work_items add column trace_parent text;
alter table outbound_messages add column trace_parent text;
