"""Fraud and AML: simulated banks with composable fraud and laundering campaigns."""
