"""The `attribtui` command, one module per command family (the top layer: docs/architecture.md).

Each family module has `register(sub)`, adding its sub-parsers; main.py lists the families and
is the one place where an error becomes a message and an exit code. common.py holds the shared
flags, confirmation and output helpers. A family imports its services inside its handlers, with a
one-line reason, so `attribtui --help` and the console's first paint stay fast.
"""
