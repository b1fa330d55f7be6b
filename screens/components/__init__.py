"""Widgets and dialogs the shell and the screens share; no screen registers here."""
