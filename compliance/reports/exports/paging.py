"""How many rows an export reads per query (one keyset page; see ``compliance.audit.exports.batched``)."""

# Read at call time, so a test can shrink it to see the queries grow by pages.
BATCH_SIZE = 1000
