"""What an operator does, built on the checks, the queries and the infrastructure below:
journeys, models (through the v2 API), purge, jobs, rollback, report, demo, the header's status,
the fleet (every profile checked at once, reading only).

Every write goes plan, confirm, execute: a service returns an `ActionPlan` (actions.py), the
caller confirms it, then the service executes and records it in the action log.
"""
