-- When a visitor's widget last had a live connection open (each instance writes it for the visitors connected to it,
-- every few seconds): the answer to a message left through the offline form goes by e-mail unless the visitor is
-- on the widget now. Null: never connected.
alter table webchat_visitors add column on_page_at timestamptz;

-- The e-mail a website vouched for (a verified visitor's userHash covered the user id it came with): it becomes the
-- email identity of the visitor's customer, so the same person's mail joins them. Null for everyone else.
alter table webchat_visitors add column verified_email text;
