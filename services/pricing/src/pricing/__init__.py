"""CYPHER pricing service."""
