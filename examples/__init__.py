"""Reference applications used to exercise seedlib."""
