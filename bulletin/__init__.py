"""The daily bulletin: its figures from the outlets' reports, and sentences stating them."""
