"""Test fixtures for real PostgreSQL and RabbitMQ."""
