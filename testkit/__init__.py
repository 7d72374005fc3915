"""Helpers the tests and the benchmarks share (neither imports the other): a real IPython
kernel to drive, the hostile-output corpus, and the recognisable test key. Not shipped."""
