"""REST routes of the public API, one module per area."""
