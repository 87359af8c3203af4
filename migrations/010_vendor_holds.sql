-- What a restarted prober must not forget (issue 9, points 7 and 9): the pauses vendors asked
-- for (Retry-After, Tradovate penalties, captcha, 429/423 lockouts, which every new request
-- extends, counted per client network) and the logins vendors refused. Without these rows a
-- restarted daemon would call a locked-out host at once, or log in again with credentials the
-- vendor has just refused, and could lock the production bot out.
--
-- Current state, not history: one row per (kind, key), replaced when the pause grows and deleted
-- when it is lifted or over. The append-only style of the evidence tables does not fit: these
-- rows are instructions to the prober that end, and the evidence of each refusal or penalty is
-- already the append-only integration_probes row that recorded it.
--
-- Never a secret: no token, no penalty ticket (both stay in process memory), no credential
-- value. `message` is a fixed phrase that went through the sanitizer. A refusal names the env
-- vars of the refused credentials (names only) and carries `credential_check`, an scrypt hash
-- of their values with a random per-row salt (core/vendors/session.ts), so a restarted daemon can
-- tell "the same credentials" (the refusal stands) from "changed" (lifted at once) without
-- storing anything that allows cheap offline guessing.
create table vendor_holds (
  kind             text        not null check (kind in ('hold', 'refusal')),
  -- hold: integration|host; refusal: vendor|origin+path of its base URL (never a query or userinfo)
  key              text        not null check (length(key) between 1 and 512),
  outcome          text        not null check (outcome ~ '^[A-Z][A-Z0-9_]{1,40}$'),
  message          text        not null check (length(message) <= 300),
  held_until       timestamptz not null,
  created_at       timestamptz not null default now(),
  credential_env   text[],
  credential_check text        check (credential_check is null or credential_check ~ '^scrypt\$[0-9]+\$[0-9]+\$[0-9]+\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$'),
  primary key (kind, key),
  check ((kind = 'refusal') = (credential_env is not null and credential_check is not null))
);

-- the loader deletes what has ended before reading
create index vendor_holds_until_idx on vendor_holds (held_until);
