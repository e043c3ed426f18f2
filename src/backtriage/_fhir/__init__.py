"""The machinery of :mod:`backtriage.fhir`: reading answers, building forms, whole assessments.

Nothing here is public; :mod:`backtriage.fhir` re-exports what is.
"""
