"""Run config shared by the command-line runs (the demo and its merchant part)."""

# The demo prints its own progress; Dagster's console logger only speaks up for warnings.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
