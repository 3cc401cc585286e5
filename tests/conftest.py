import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# The suite's output is captured, as a pipe is: tables print as plain text.  pytest-xdist gives its
# workers COLUMNS=80, which asks for terminal tables; the tests that want those set it themselves.
os.environ.pop("COLUMNS", None)

# Parsed spec files are cached per user (specdsl.language.spec_cache); the suite keeps its own, shared by
# its subprocesses, so it neither reads nor fills the cache of whoever runs it.
if "SPECDSL_CACHE_DIR" not in os.environ:
    import tempfile

    os.environ["SPECDSL_CACHE_DIR"] = tempfile.mkdtemp(prefix="specdsl-test-cache-")
