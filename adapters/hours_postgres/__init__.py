"""hours_postgres adapter."""
