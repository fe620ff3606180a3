"""The names DCRF 1.3.0's modules expose, dumped from DCRF itself (see dump.py)."""
