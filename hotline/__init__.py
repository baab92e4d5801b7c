"""The 24-hour supply hotline: ticket SLA clocks computed from audit trails."""
