"""The infrastructure every layer above relies on: config and profiles, paths, the database,
the v2 API client, memcached, the one-operator lock, the action log, the clock, redaction."""
