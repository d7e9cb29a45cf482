"""The `opencoreml` command line: info (text and JSON) and validate."""
import json
import shutil
import subprocess
import sys

from conftest import case_by_name


def cli(*args):
    return subprocess.run([sys.executable, "-m", "opencoreml", *args], capture_output=True, text=True, timeout=120)


def test_info_on_a_package():
    case = case_by_name("torch_quantized_int8_perchannel_ios16")
    result = cli("info", case.model_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "kind: mlProgram" in out and "specification version: 7" in out
    assert "constexpr_affine_dequantize" in out
    assert "weight blobs" in out and "int8" in out
    assert "com.github.apple.coremltools.version: 9.0" in out


def test_info_json_matches_case():
    case = case_by_name("nnb_conv_pool")
    result = cli("info", "--json", case.model_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["kind"] == "neuralNetwork"
    assert summary["op_counts"] == case.info["ops_or_layers"]
    assert summary["weight_bytes"] > 0
    assert [f["name"] for f in summary["interface"]["inputs"]] == [i["name"] for i in case.info["inputs"]]


def test_info_on_a_pipeline_counts_models():
    case = case_by_name("sk_pipeline_impute_scale_logreg")
    summary = json.loads(cli("info", "--json", case.model_path).stdout)
    assert summary["kind"] == "pipelineClassifier"
    assert summary["op_counts"] == case.info["ops_or_layers"]


def test_validate_reports_each_model(tmp_path):
    good = case_by_name("torch_mlp_fp32").model_path
    bad = tmp_path / "bad.mlpackage"
    shutil.copytree(good, bad)
    (bad / "Manifest.json").write_text("{")
    result = cli("validate", good, str(bad))
    assert result.returncode == 1
    assert "OK      " + good in result.stdout
    assert "INVALID " + str(bad) in result.stdout and "Manifest.json" in result.stdout


def test_missing_model_is_a_clean_error(tmp_path):
    result = cli("info", str(tmp_path / "none.mlmodel"))
    assert result.returncode == 1
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr
