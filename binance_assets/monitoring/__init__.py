"""Prometheus metrics for what Dagster does not expose itself: the instance's runs, materializations,
asset checks and daemon heartbeats, the code locations' freshness policies, and the models' live
accuracy and drift. Served by `binance-assets exporter --port 9108` (`exporter.py`)."""
