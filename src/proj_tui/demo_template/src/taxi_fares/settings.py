"""Project settings read by proj-tui (the same names Kedro uses)."""

CONF_SOURCE = "conf"

# Environment variables recorded with every session (names that look secret are redacted).
ENV_VARS_PREFIX = "TAXI_"
ENV_VARS_ALLOWLIST = ("PYTHONHASHSEED", "OMP_NUM_THREADS", "TZ")
