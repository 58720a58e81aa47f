"""Ferry messages the police zone applies for organisation reporting."""
