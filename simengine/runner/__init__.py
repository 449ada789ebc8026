"""Runner: plan shards, run them on a backend, write them through the sink, keep the manifest."""
