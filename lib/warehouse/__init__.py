"""Where it is kept: Delta tables created from their contracts in ``schemas/tables/``, one
date replaced at a time, and paths through Hadoop's FileSystem (local or s3a alike)."""
