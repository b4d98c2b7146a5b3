"""Channels: where packages come from, and what the machine itself provides.

In reading order: `channel/names.py` (a name, URL or folder as one canonical URL, and mirrors),
`channel/repodata.py` (reading a huge index lazily), `channel/fetch.py` (an index downloaded
into the cache and revalidated), `channel/shards.py` (only the shards a solve reaches),
`channel/load.py` (the solver's sources for one platform) and `channel/virtual_packages.py`
(what a solve assumes about a machine, and what this one has).
"""
