"""Settings, split by environment (base, local, production, test) and by integration
(database, cache and Redis, Celery, Channels, REST framework, accounts)."""
