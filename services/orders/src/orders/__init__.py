"""CYPHER orders service."""
