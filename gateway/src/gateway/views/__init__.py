"""Response payloads of the public API, per area: named pydantic models (so the OpenAPI
document names every `data`) and their builders from the upstream protos."""
