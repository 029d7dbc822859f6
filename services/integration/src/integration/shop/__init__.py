"""One-way WooCommerce sync (CYPHER → shop): what the shop must show per sku, the
coalesced incremental pushes, the daily full sync and retry of failed items."""
