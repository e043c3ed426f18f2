"""Tests of table scoring (backtriage.tables): rows, the CSV stream, columns, the recipes."""
