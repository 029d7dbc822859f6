"""One client per upstream service. A client owns its deadlines, which of its calls are
safe to retry, and how its gRPC errors become API errors; routes only call its methods.
The stubs they wrap are built in `gateway.deps`."""
