-- The warehouse database beside Dagster's own (POSTGRES_DB=dagster); run once, on the volume's first start.
CREATE DATABASE binance;
