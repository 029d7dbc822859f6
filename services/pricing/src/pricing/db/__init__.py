"""Persistence of the pricing service: the tables (`tables`) and one repository per
aggregate, each working inside the caller's unit of work and returning domain objects.
Rows a use case changes are locked (`FOR UPDATE`, in sku order when several), so
concurrent changes of one product serialize in the database, never in Python."""
