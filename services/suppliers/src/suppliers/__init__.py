"""CYPHER suppliers service."""
