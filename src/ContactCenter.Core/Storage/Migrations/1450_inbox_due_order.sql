-- The desk's waiting list walks running clocks in due order and stops when its page is full (DeskInbox).
create index response_clocks_running_due on response_clocks (due_at, id) where stopped_at is null and due_at is not null;
