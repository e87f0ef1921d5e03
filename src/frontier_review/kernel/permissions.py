"""Every permission in the platform, named ``area:resource:action``.

Audit tags share the same shape, so a denial's audit entry names the permission asked for.
"""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    """One permission per guarded action; a permission without a rule is always denied."""

    # identity
    ORGANIZATION_CREATE = "identity:organization:create"
    ORGANIZATION_READ = "identity:organization:read"
    ORGANIZATION_LIST_ALL = "identity:organization:list_all"
    USER_CREATE = "identity:user:create"
    USER_READ = "identity:user:read"
    USER_LIST = "identity:user:list"
    USER_LOOKUP = "identity:user:lookup"
    USER_UPDATE = "identity:user:update"
    USER_SET_CLEARED = "identity:user:set_cleared"
    INVITATION_CREATE = "identity:invitation:create"
    INVITATION_LIST = "identity:invitation:list"
    INVITATION_REVOKE = "identity:invitation:revoke"
    TOKEN_ISSUE = "identity:token:issue"  # noqa: S105 - a permission name, not a secret
    TOKEN_READ = "identity:token:read"  # noqa: S105 - a permission name, not a secret
    TOKEN_REVOKE = "identity:token:revoke"  # noqa: S105 - a permission name, not a secret
    # audit
    AUDIT_READ_ALL = "audit:log:read_all"
    AUDIT_READ_ORG = "audit:log:read_org"
    AUDIT_VERIFY = "audit:log:verify"
    AUDIT_CHECKPOINT = "audit:checkpoint:create"
    AUDIT_EXPORT = "audit:log:export"
    # security
    KEYS_ROTATE = "security:keys:rotate"
    BACKUP = "security:backup:manage"  # back up or restore the whole instance (the `backup` CLI)
    # registry
    REGISTRY_MODEL_CREATE = "registry:model:create"
    REGISTRY_MODEL_READ = "registry:model:read"
    REGISTRY_MODEL_LIST_ALL = "registry:model:list_all"
    REGISTRY_VERSION_EDIT = "registry:version:edit"
    REGISTRY_VERSION_RELEASE = "registry:version:release"
    # coverage
    COVERAGE_POLICY_PUBLISH = "coverage:policy:publish"
    COVERAGE_POLICY_READ = "coverage:policy:read"
    COVERAGE_THRESHOLDS_READ = "coverage:thresholds:read"
    COVERAGE_BENCHMARK_MANAGE = "coverage:benchmark:manage"
    COVERAGE_DETERMINE = "coverage:determination:create"
    COVERAGE_REASSESS = "coverage:policy:reassess"
    COVERAGE_READ = "coverage:determination:read"
    COVERAGE_INQUIRY_FILE = "coverage:inquiry:file"
    COVERAGE_INQUIRY_RESPOND = "coverage:inquiry:respond"
    COVERAGE_INQUIRY_WORK = "coverage:inquiry:work"
    # evals
    EVALS_ITEMS_READ = "evals:items:read"
    # engagements
    ENGAGEMENT_OPEN = "engagements:engagement:open"
    ENGAGEMENT_MANAGE = "engagements:engagement:manage"
    ENGAGEMENT_READ = "engagements:engagement:read"
    ENGAGEMENT_ACCEPT_TERMS = "engagements:terms:accept"
    ENGAGEMENT_USAGE_READ = "engagements:usage:read"
    GATEWAY_TOKEN_ISSUE = "engagements:gateway_token:issue"  # noqa: S105 - a permission name, not a secret
    ARTIFACT_UPLOAD = "engagements:artifact:upload"
    ARTIFACT_DOWNLOAD = "engagements:artifact:download"
    FINDING_FILE = "engagements:finding:file"
    FINDING_READ = "engagements:finding:read"
    FINDING_COMMENT = "engagements:finding:comment"
    FINDING_ATTACH_EVIDENCE = "engagements:finding:attach_evidence"
    FINDING_SET_STATUS = "engagements:finding:set_status"
    FINDING_RELABEL = "engagements:finding:relabel"
    PARTNER_DESIGNATE = "engagements:partner:designate"
    PARTNER_LIST = "engagements:partner:list"
    # clearinghouse — subscriptions
    SUBSCRIPTION_CREATE = "clearinghouse:subscription:create"
    SUBSCRIPTION_MANAGE = "clearinghouse:subscription:manage"
    SUBSCRIPTION_READ = "clearinghouse:subscription:read"
    SUBSCRIPTION_STATUS_READ = "clearinghouse:subscription:read_status"
    SUBSCRIPTION_LIST_ALL = "clearinghouse:subscription:list_all"
    # clearinghouse: incidents  # noqa: ERA001 - a section heading, not code
    INCIDENT_REPORT = "clearinghouse:incident:report"
    INCIDENT_READ = "clearinghouse:incident:read"
    INCIDENT_TRIAGE = "clearinghouse:incident:triage"
    INCIDENT_RELABEL = "clearinghouse:incident:relabel"
    INCIDENT_REFER = "clearinghouse:incident:refer"
    INCIDENT_ACKNOWLEDGE = "clearinghouse:incident:acknowledge"
    # clearinghouse -- reports
    REPORT_SUBMIT = "clearinghouse:report:submit"
    REPORT_READ = "clearinghouse:report:read"
    REPORT_EDIT = "clearinghouse:report:edit"
    REPORT_TRIAGE = "clearinghouse:report:triage"
    REPORT_ADDRESS = "clearinghouse:report:address"
    REPORT_RELABEL = "clearinghouse:report:relabel"
    REPORT_NAME_VALIDATOR = "clearinghouse:report:name_validator"
    REPORT_VALIDATE = "clearinghouse:report:validate"
    REPORT_MERGE = "clearinghouse:report:merge"
    REPORT_DISCLOSE = "clearinghouse:report:disclose"
    REPORT_REJECT = "clearinghouse:report:reject"
    REPORT_QUEUE = "clearinghouse:queue:read"
    KEV_IMPORT = "clearinghouse:kev:import"
    PRIORITY_RECOMPUTE = "clearinghouse:priority:recompute"
    FINDING_REFER = "engagements:finding:refer"  # a finder refers a finding to the clearinghouse (issue 14 item 8)
    # clearinghouse — scans
    SCAN_REGISTER = "clearinghouse:scan:register"
    SCAN_READ = "clearinghouse:scan:read"
    SCAN_LIST_ALL = "clearinghouse:scan:list_all"
    SCAN_CHANGE = "clearinghouse:scan:change"
    SCAN_CANCEL = "clearinghouse:scan:cancel"
    SCAN_OBJECT = "clearinghouse:scan:object"
    SCAN_RESOLVE_OVERLAP = "clearinghouse:scan:resolve_overlap"
    # clearinghouse — patches
    FIX_MANAGE = "clearinghouse:fix:manage"
    DISTRIBUTION_READ_ALL = "clearinghouse:distribution:read_all"
    DISTRIBUTION_READ_COUNTS = "clearinghouse:distribution:read_counts"
    DISTRIBUTION_UPDATE = "clearinghouse:distribution:update"
    EXPOSURE_READ = "clearinghouse:exposure:read"
