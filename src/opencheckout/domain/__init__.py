"""Pure business rules: money, totals, lifecycle. No I/O lives here."""
