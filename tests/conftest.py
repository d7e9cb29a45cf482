"""Shared test fixtures: the corpus of real Core ML models (tests/data/corpus, plus any case
that only exists in ../shared/corpus when that folder is present)."""
import json
import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
LOCAL_CORPUS = os.path.join(HERE, "data", "corpus")
SHARED_CORPUS = os.path.abspath(os.path.join(HERE, "..", "..", "shared", "corpus"))


def corpus_cases():
    """(name, folder) of every corpus case; local copies win over the shared folder."""
    cases = {}
    for root in (SHARED_CORPUS, LOCAL_CORPUS):
        if not os.path.isdir(root):
            continue
        for name in sorted(os.listdir(root)):
            folder = os.path.join(root, name)
            if os.path.isfile(os.path.join(folder, "case.json")):
                cases[name] = folder
    return sorted(cases.items())


class Case:
    def __init__(self, name, folder):
        self.name = name
        self.folder = folder
        with open(os.path.join(folder, "case.json")) as f:
            self.info = json.load(f)
        self.model_path = os.path.join(folder, self.info["model_file"])
        self.is_package = self.model_path.endswith(".mlpackage")

    @property
    def spec_file(self):
        if self.is_package:
            return os.path.join(self.model_path, "Data", "com.apple.CoreML", "model.mlmodel")
        return self.model_path

    @property
    def weight_file(self):
        path = os.path.join(self.model_path, "Data", "com.apple.CoreML", "weights", "weight.bin")
        return path if os.path.exists(path) else None


CASES = [Case(n, f) for n, f in corpus_cases()]


def case_by_name(name):
    for c in CASES:
        if c.name == name:
            return c
    raise KeyError(name)


@pytest.fixture(params=CASES, ids=[c.name for c in CASES])
def corpus_case(request):
    return request.param
