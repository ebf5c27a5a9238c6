"""The Celery side of the service: the app, thin tasks taking ids, and the grading job."""
