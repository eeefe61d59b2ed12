"""Services: one module per use case. Each opens a unit of work, calls the core, writes the
result and commits, and returns a value the entry point can print."""
