"""Onboarding and lifecycle logic: plain Python, no Slack types."""
