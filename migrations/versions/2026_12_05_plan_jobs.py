"""plan jobs: a day's plan solved on the task queue, its progress and how it ended.

Revision ID: plan_jobs_20261205
Revises: monitor_run_parts_20261205
Create Date: 2026-12-05 02:19:26.663891+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "plan_jobs_20261205"
down_revision: str | None = "monitor_run_parts_20261205"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "plan_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "succeeded",
                "failed",
                name="jobstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("requested_by", sa.String(length=120), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("error_text", sa.JSON(), nullable=True),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "progress >= 0 AND progress <= 1", name=op.f("ck_plan_jobs_progress_range")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["dispatch_plans.id"],
            name=op.f("fk_plan_jobs_plan_id_dispatch_plans"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_jobs")),
    )
    op.create_index(op.f("ix_plan_jobs_status"), "plan_jobs", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_plan_jobs_status"), table_name="plan_jobs")
    op.drop_table("plan_jobs")
