"""simengine test suite."""
