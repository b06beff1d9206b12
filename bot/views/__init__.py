"""Pure Block Kit builders: plain data in, Slack JSON (dicts) out. No I/O."""
