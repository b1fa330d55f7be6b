"""Bounded reads shared by the checks and the services: each query is written once, here.

Every function takes a `Read` (Database.reader(), or a check's cancel-aware reader) and stays
bounded whatever the table's size: a LIMIT, an index, or an id range found on the primary key
(docs/architecture.md, "Safety"). Table names come from prosper/tables.py.
"""
