"""Events over RabbitMQ: envelope, transactional outbox, idempotent inbox, topology."""
