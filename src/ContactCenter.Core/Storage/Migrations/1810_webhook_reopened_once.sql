-- conversation.reopened reaches subscribers once: reopening (ConversationStore.ReopenAsync) appends a timeline event of
-- that type, which webhook_fan_out_event delivers like every other event. The conversation trigger delivered it a
-- second time (from the closed_at update); it now carries only conversation.created, which has no timeline event.
create or replace function webhook_fan_out_conversation() returns trigger language plpgsql as $$
begin
    insert into webhook_deliveries (subscription_id, event_type, ordering_key, payload, created_at, retrying_since, next_attempt_at)
    select s.id, 'conversation.created', new.id,
           jsonb_build_object('id', new.id, 'customerId', new.customer_id, 'channel', new.channel, 'status', new.status,
                              'queue', new.queue, 'assignee', new.assignee, 'priority', new.priority,
                              'openedAt', new.opened_at, 'closedAt', new.closed_at),
           new.opened_at, new.opened_at, new.opened_at
    from webhook_subscriptions s
    where s.disabled_at is null and s.events @> array['conversation.created']
      and (s.channels is null or new.channel = any (s.channels))
      and (s.queues is null or new.queue = any (s.queues));
    if found then perform pg_notify('cc_webhooks', ''); end if;
    return null;
end $$;
drop trigger webhook_fan_out_conversation on conversations;
create trigger webhook_fan_out_conversation after insert on conversations
    for each row execute function webhook_fan_out_conversation();
