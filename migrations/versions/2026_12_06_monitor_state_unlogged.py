"""monitor state unlogged on PostgreSQL: each store's kept window is a cache of its report
lines, rebuilt by a full read whenever it is missing, so it need not be written to the
WAL (a nation rewrites every store's state each day). After a crash PostgreSQL empties an
unlogged table, and the next run reads every store in full and builds the states again;
a replica has none, and nothing reads them there.

Revision ID: monitor_state_unlogged_20261206
Revises: monitor_state_lz4_20261206
Create Date: 2026-12-06 18:00:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "monitor_state_unlogged_20261206"
down_revision: str | None = "monitor_state_lz4_20261206"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE monitor_line_states SET UNLOGGED")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE monitor_line_states SET LOGGED")
