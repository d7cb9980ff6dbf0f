"""Read-only queries of the orders area, one module per concern."""
