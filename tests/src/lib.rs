//! End-to-end tests for Anchorage; see `tests/tests/`.
