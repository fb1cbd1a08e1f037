"""Reports: per-tree skill tables and training curves; cross-model comparison."""
