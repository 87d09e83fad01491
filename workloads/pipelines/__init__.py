"""The model lifecycle as pipeline steps (steps.py) and the Airflow DAG that runs them (dags/)."""
