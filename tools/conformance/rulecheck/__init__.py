"""Conformance of attribtui's pure rules with upstream Prosper202 (tools/conformance/README.md)."""
