"""The service's store: PostgreSQL through psycopg 3, plain SQL, migrations applied at start."""
