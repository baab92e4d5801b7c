"""background jobs: bulk report files and plan pass PDFs done on the task queue, their
input, progress (done of total), result or file, and how they ended.

Revision ID: background_jobs_20261205
Revises: monitor_state_20261205
Create Date: 2026-12-05 05:31:25.574122+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "background_jobs_20261205"
down_revision: str | None = "monitor_state_20261205"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "background_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "report_upload", "plan_passes_pdf", name="jobkind", native_enum=False, length=32
            ),
            nullable=False,
        ),
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
        sa.Column("submitted_by", sa.String(length=120), nullable=False),
        sa.Column("principal", sa.JSON(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("input", sa.LargeBinary(), nullable=True),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("output", sa.LargeBinary(), nullable=True),
        sa.Column("media_type", sa.String(length=80), nullable=True),
        sa.Column("filename", sa.String(length=120), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("error_text", sa.JSON(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "done >= 0 AND (total IS NULL OR done <= total)",
            name=op.f("ck_background_jobs_progress_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_background_jobs")),
    )
    op.create_index(op.f("ix_background_jobs_kind"), "background_jobs", ["kind"], unique=False)
    op.create_index(op.f("ix_background_jobs_status"), "background_jobs", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_background_jobs_status"), table_name="background_jobs")
    op.drop_index(op.f("ix_background_jobs_kind"), table_name="background_jobs")
    op.drop_table("background_jobs")
