"""Tests of FHIR R4 in and out (backtriage.fhir, backtriage._fhir): forms, readers, writers."""
