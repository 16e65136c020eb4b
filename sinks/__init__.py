"""Sales queue store: SQLAlchemy 2 models, queue operations and the batch writer."""
