"""Persistence of the integration service: tables, the JSON form of documents, and the
document repository."""
