"""Request bodies of the public API, per area; `common` holds the shared pieces."""
