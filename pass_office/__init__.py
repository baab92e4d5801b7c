"""The bureau's pass office: applications, approval and direct or bulk issue of signed
transport passes and staff permits, revocation, the published revocation list, online
verification and the checkpoints' scan log.

Database-backed, unlike ``passes`` (the self-contained token format it signs with).
"""
