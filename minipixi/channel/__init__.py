"""Channels: where packages come from. Fetching and caching repodata (fetch), reading it fast
(repodata), fetching only what a solve needs (shards), and what the machine itself provides
(virtual_packages)."""
