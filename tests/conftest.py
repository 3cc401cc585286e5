import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

# Parsed spec files are cached per user (specdsl.language.spec_cache); the suite keeps its own, shared by
# its subprocesses, so it neither reads nor fills the cache of whoever runs it.
if "SPECDSL_CACHE_DIR" not in os.environ:
    import tempfile

    os.environ["SPECDSL_CACHE_DIR"] = tempfile.mkdtemp(prefix="specdsl-test-cache-")
