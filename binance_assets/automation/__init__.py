"""Automation: what runs when, and what alerts.

- `defaults`: the one table of which sensor/schedule is RUNNING by default in each environment;
- `conditions`: declarative automation conditions; `selections`: which checks a partition run executes;
- `landing` and `poller` (no Dagster imports): finding newly landed archives, polling data.binance.vision
  (deadline-aware backoff); `recheck`: replaced archives; `load_log`: what they read of `raw.load_log`;
- `sensors`: the Dagster sensors that turn new archives into runs of exactly the new partitions;
  `schedules`: the daily catch-up schedule;
- `deadlines` (pure) and `deadline_checks`: the raw `day_file_on_time` check and its sensor;
  `freshness`: freshness policies downstream;
- `webhook`, `failure_alerts`, `check_alerts`, `alerts`: alerting.
"""
