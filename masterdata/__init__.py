"""Master data: the regions, enterprises, stores and products every other domain names.

One module per area, each with its read models (frozen views, pages of them) and its
commands (create, change, deactivate), shared by the API, the pages and the CLI. Rows are
never deleted, only deactivated, so reports and alerts keep what they point at.
"""
