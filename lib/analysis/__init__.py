"""What it means: rate intervals (``stats``) and same-age release comparisons (``compare``)."""
