"""Credit-risk feature data plane: synthetic data, pseudonymization, validation, Feast repo and API.

Import the API from its modules (importing feast is slow):
  workloads.features.generate.generate_dataset(out_dir, seed=7, n_applicants=2000) -> DatasetPaths
  workloads.features.store.open_store(repo_path, profile="local") -> feast.FeatureStore
  workloads.features.store.materialize(store) / training_frame(store, labels) / online_features(store, ids)
"""
