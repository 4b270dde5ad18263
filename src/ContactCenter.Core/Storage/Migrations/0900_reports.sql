-- Reports and the forecast read the timeline by event type and time, conversations by when they closed,
-- clocks by when they started, surveys by when they were sent. Indexes only: reports are computed from the
-- rows themselves, so they are exact the moment an event is committed (no rollup to keep in step).
create index timeline_events_type_time on timeline_events (type, occurred_at);
create index conversations_closed on conversations (closed_at) where closed_at is not null;
create index response_clocks_started on response_clocks (started_at);
create index bot_conversations_survey on bot_conversations (survey_sent_at) where survey_sent_at is not null;
