"""CYPHER inventory service."""
