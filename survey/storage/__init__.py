"""Storage: the engine (`engine`), the ORM's sessions (`db`), the models (`models`), their column
types (`types`) and the Alembic migrations (`migrate`).

Nothing is imported here: a command that reads through the engine alone (`cips campaign list`)
must not pay for mapping the models (bench/cli_start.py).
"""
