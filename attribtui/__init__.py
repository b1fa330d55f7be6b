"""attribtui: a terminal operations console for Prosper202's multi-touch attribution stack."""

__version__ = "0.1.0"
