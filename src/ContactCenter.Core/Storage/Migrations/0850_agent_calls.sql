-- Agents' own calls (issue 14): a call an agent places from the softphone through the TwiML App is a voice call
-- of the conversation that allowed it, direction 'outbound'.
alter table voice_calls drop constraint voice_calls_direction_check;
alter table voice_calls add constraint voice_calls_direction_check check (direction in ('inbound', 'callback', 'outbound'));
