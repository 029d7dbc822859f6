"""The use cases of the orders service, one module per aggregate. Each takes the
entrypoint's unit of work and never commits (services/README.md)."""

from __future__ import annotations

from dataclasses import dataclass

from orders.service.customers import CustomerService
from orders.service.order_events import OrderEventService
from orders.service.orders import OrderService


@dataclass(frozen=True)
class OrdersService:
    customers: CustomerService
    orders: OrderService
    order_events: OrderEventService


__all__ = ["CustomerService", "OrderEventService", "OrderService", "OrdersService"]
