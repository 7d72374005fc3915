"""The API key the whole test session runs with: recognisable, so a scan can prove that it
never leaks into an output, a log, an export or a report."""

TEST_KEY = "vk-TEST-KEY-must-never-leak-7f3a9c"
LIVE_KEY_VAR = "VENICE_LIVE_API_KEY"  # a real key given to the run is kept here for live tests
