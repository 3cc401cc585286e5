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

# The files whose tests take longest (each 40-190 s of one worker on a 2-core machine, measured on a
# fresh clone), heaviest first.  `make test` hands whole files to its workers in collection order
# (--dist loadfile --no-loadscope-reorder): these start first, so the many short files fill in the
# end and neither worker is left running one long file alone.  Only the order changes.
HEAVY_FIRST = ("test_motifs.py", "test_tranquillyzer_train.py", "test_capfinder_pipeline.py", "test_train_run.py",
               "test_deepcpg_workflow.py", "test_backends.py", "test_run_resilience.py", "test_devices.py",
               "test_capfinder_native.py", "test_workshop_train.py", "test_processes.py", "test_interpret_deeplift.py",
               "test_keras_backend.py", "test_search_run.py", "test_crf.py", "test_losses.py")


def pytest_collection_modifyitems(config, items) -> None:
    rank = {name: i for i, name in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order
