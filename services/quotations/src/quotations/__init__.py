"""CYPHER quotations service."""
