"""Names shared by the Feast repo, the consumer and the model (a contract; importing this needs no Feast)."""

from datetime import timedelta

PROJECT = "credit_risk"
ENTITY = "applicant"
JOIN_KEY = "applicant_id"
PROFILE_VIEW = "applicant_profile"
ACTIVITY_VIEW = "credit_activity"
RATIOS_VIEW = "credit_ratios"
PUSH_SOURCE = "credit_activity_push"
STREAM_SOURCE = "credit_activity_stream"
STREAM_TOPIC = "credit-activity"
DLQ_TOPIC = "credit-activity-dlq"
CONSUMER_GROUP = "credit-activity-feast"
FEATURE_SERVICE = "credit_risk_v1"
PROFILE_TTL = timedelta(days=365)
ACTIVITY_TTL = timedelta(days=30)

PROFILE_FEATURES = {
    "age": "Int64",
    "annual_income": "Float64",
    "employment_years": "Float64",
    "existing_loans": "Int64",
}
ACTIVITY_FEATURES = {"credit_utilization": "Float64", "late_payments_90d": "Int64", "txn_count_7d": "Int64",
                     "avg_txn_amount_7d": "Float64"}  # fmt: skip
RATIO_FEATURES = {"income_per_loan": "Float64", "utilization_late_interaction": "Float64"}
FEATURE_NAMES = [*PROFILE_FEATURES, *ACTIVITY_FEATURES, *RATIO_FEATURES]
