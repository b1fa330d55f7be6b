"""Jobs (key 4): launch rebuild and backfill jobs, watch them live, cancel, browse the history.

screen.py    the screen: pre-flight and launch, following a job, cancel, the guard row
launch.py    the Launch tab: the form, its command line, the pre-flight's verdict, the users
live.py      the Live tab: status, progress and the filtered log of the followed job
history.py   the History tab: past jobs
messages.py  what the workers report
"""

from screens.jobs.screen import JobsScreen
from screens.registry import PaletteCommand, ScreenSpec

__all__ = ("SCREEN", "JobsScreen")

SCREEN = ScreenSpec(
    key="4",
    name="jobs",
    title="Jobs",
    factory=JobsScreen,
    help="Launch rebuild and backfill jobs, watch them live, cancel, history",
    commands=(
        PaletteCommand("Job pre-flight (rebuild or backfill)",
                       "Check the window, count, guard and lock (p)", "preflight"),
        PaletteCommand("Launch job (rebuild or backfill)", "Pre-flight, then start it detached (L)",
                       "launch"),
        PaletteCommand("Cancel the running job", "SIGTERM, then SIGKILL (x)", "cancel_job"),
        PaletteCommand("Delete the rebuild guard row", "Confirmed and logged (d)",
                       "delete_guard"),
        PaletteCommand("Job history", "Past jobs and their logs (h)", "tab('history')"),
        PaletteCommand("Align the window to whole hours", "--start=H0 --end=H1-1 (a)", "align"),
    ),
)
