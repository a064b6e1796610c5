"""The housing benchmark: our engine against a plain MIP (HiGHS) and a greedy first-fit.

``generate`` makes seeded instances calibrated from published jail statistics,
``checker`` judges every answer by an independent reading of the hard rules and
prices it, ``greedy`` and ``mip_highs`` are the two references, and ``run``
puts them side by side: ``python -m bench housing`` or ``python -m bench.housing``.
"""
