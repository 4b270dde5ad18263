-- A first mail from an address an agent put on a customer's profile joins that customer: the inbox looks the
-- address up by the profile's e-mail, ignoring case, for every mail from an address it does not know yet.
create index customers_profile_email on customers (lower(email)) where merged_into is null;
