"""FHIR R4 MeasureReport for the hub: parse and check resources, turn them into report rows, and
answer in FHIR's own shapes (OperationOutcome, batch-response and searchset Bundles).

Resources are validated with the `fhir.resources` models of FHIR R4B (4.3.0): the package's
pydantic-2 releases carry R5, R4B and STU3 only, and R4B's MeasureReport, Bundle and
OperationOutcome have the same elements as R4 (4.0.1). The models check elements, types and
cardinality; what they let through (code values such as `status`, a count sent as text "5",
which they coerce) is checked here and by the hub's import rules.
"""
