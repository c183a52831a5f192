"""A demo dataset in the CASME II layout: synthetic micro-expressions on real faces."""
