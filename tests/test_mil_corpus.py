"""Every ML program of the corpus runs and matches the source framework's outputs within the
case's tolerance: every run, with states carried across runs, functions chosen per run,
flexible shapes, PNG image inputs and class labels."""
import pytest

from conftest import CASES
from corpus_runner import check_case

PROGRAMS = [c for c in CASES if c.info["model_type"] == "mlProgram"]


@pytest.mark.parametrize("case", PROGRAMS, ids=[c.name for c in PROGRAMS])
def test_ml_program_matches_reference(case):
    check_case(case)
