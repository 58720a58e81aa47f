"""Ferry messages the portal applies for organisation reporting."""
