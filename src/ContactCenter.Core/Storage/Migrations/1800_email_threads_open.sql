-- An email thread is a conversation of its own: a customer may have several open email conversations at once
-- (a new mail that answers none of ours opens one beside the others). Every other channel keeps one open
-- conversation per customer. The predicate is repeated in ConversationStore's ON CONFLICT and in
-- ChannelNames.SeveralOpenChannelNames.
drop index conversations_one_open;
create unique index conversations_one_open on conversations (customer_id, channel) where closed_at is null and channel <> 'email';
-- A customer's open email conversations are found through conversations_customer (customer_id, opened_at).
