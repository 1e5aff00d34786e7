"""Models written from scratch, with the scikit-learn estimator API."""
