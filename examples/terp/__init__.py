"""TERP: a wholesale-distribution ERP, the reference application for seedlib."""
