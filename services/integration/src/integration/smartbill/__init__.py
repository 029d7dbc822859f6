"""SmartBill Cloud REST client: calls, throttle, circuit breaker, payloads."""
