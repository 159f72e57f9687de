"""Taxi fares: a proj-tui demo project."""
