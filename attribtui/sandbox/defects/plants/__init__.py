"""The plant functions: each breaks a freshly seeded sandbox the way a real install gets broken."""
