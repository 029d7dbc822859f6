"""CYPHER integration service."""
