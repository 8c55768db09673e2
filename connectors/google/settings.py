"""The settings of a ``[sources.NAME]`` table of type google: what ``build_settings`` reads,
with defaults; ``access-review init`` writes them into the starter config."""

from __future__ import annotations

from access_review.settings_spec import REQUIRED, Setting

# "You're limited to 1000 calls in a single batch request"
# (https://developers.google.com/workspace/admin/directory/v1/guides/batch).
DIRECTORY_BATCH_LIMIT = 1000
# Drive batch guide: more than 100 calls per batch may be rejected
# (https://developers.google.com/workspace/drive/api/guides/performance#batch-requests).
DRIVE_BATCH_LIMIT = 100
# Directory API default: 2,400 queries per minute per user per project; every call inside a
# batch counts (https://developers.google.com/workspace/admin/directory/v1/limits).
DEFAULT_QUOTA_PER_MINUTE = 2400
DEFAULT_TIMEOUT = 60.0

SETTINGS = (
    Setting(
        "key_file",
        REQUIRED,
        "the service account's JSON key (chmod 600)",
        example="/etc/access-review/google-key.json",
    ),
    Setting(
        "subject",
        REQUIRED,
        "the admin the sync acts as (domain-wide delegation); may be read-only",
        example="access-review-reader@district.example.org",
    ),
    Setting(
        "action_subject",
        None,
        "the admin suspensions and remediation act as, so the sync's subject can "
        "stay read-only (default: subject)",
        example="access-review-actions@district.example.org",
    ),
    Setting(
        "customer", "my_customer", "the Workspace customer id (my_customer: the subject's own)"
    ),
    Setting(
        "domain",
        None,
        "read only this domain's users and groups (default: the whole customer)",
        example="district.example.org",
    ),
    Setting(
        "api_endpoint",
        None,
        "a root in front of Google's APIs, e.g. an egress proxy (default: "
        "https://www.googleapis.com/)",
        example="https://www.googleapis.com/",
    ),
    Setting(
        "quota_per_minute",
        DEFAULT_QUOTA_PER_MINUTE,
        "Directory API queries per minute the project may make "
        "(raise it only if Google raised your quota)",
    ),
    Setting("oauth_tokens", True, "read third-party OAuth tokens (one call per user)"),
    Setting("oauth_tokens_for_students", False, "also for students (a district has many)"),
    Setting("student_org_units", ["/Students"], "org units whose users are students"),
    Setting("shared_drives", True, "read shared drives and their permissions"),
    Setting("vault", False, "read Vault matters and holds (litigation holds)"),
    Setting("batch_size", DIRECTORY_BATCH_LIMIT, "calls per Directory API batch, at most 1000"),
    Setting("drive_batch_size", DRIVE_BATCH_LIMIT, "calls per Drive API batch, at most 100"),
    Setting("timeout", DEFAULT_TIMEOUT, "seconds to wait for an answer"),
)
