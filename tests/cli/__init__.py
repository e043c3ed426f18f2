"""Tests of the command line (backtriage.cli): each verb, its errors and exit statuses."""
