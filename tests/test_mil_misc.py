"""ML program ops classify, non_maximum_suppression (iOS15 and iOS17 forms) and
scaled_dot_product_attention (iOS18), run end to end against numpy references written from the
MIL definitions, plus the corpus models that use them. Attention in fp32: rtol/atol 1e-5;
fp16: 3e-3. Classifier labels and NMS indices/counts must match exactly."""
import os

import numpy as np
import pytest

import opencoreml as ct
from mil_op_runner import assert_representable, close, run_op_params as run_op
from mil_program import MilProgram
from opencoreml.proto import MIL_pb2

RNG = np.random.default_rng(5)


# ---- classify --------------------------------------------------------------------------------

def classes_value(classes):
    """`classes` as coremltools writes it: an immediate MIL list of scalar strings or int64s."""
    v = MIL_pb2.Value()
    is_str = isinstance(classes[0], str)
    v.type.listType.type.tensorType.dataType = MIL_pb2.STRING if is_str else MIL_pb2.INT64
    v.type.listType.length.constant.size = len(classes)
    for c in classes:
        item = v.immediateValue.list.values.add()
        item.type.tensorType.dataType = MIL_pb2.STRING if is_str else MIL_pb2.INT64
        if is_str:
            item.immediateValue.tensor.strings.values.append(c)
        else:
            item.immediateValue.tensor.longInts.values.append(int(c))
    return v


def classifier_model(tmp_path, classes, n_inputs):
    p = MilProgram(opset="CoreML5")
    x = p.input("x", np.float32, (1, n_inputs))
    # `classes` is a MIL list, which MilProgram cannot inline: bind a placeholder, then replace it.
    label, dictionary = p.op("classify", outputs=2, dtypes=[np.float32, np.float32], probabilities=x,
                             classes=np.int32(0))
    op = p.block.operations[-1]
    op.inputs["classes"].arguments[0].value.CopyFrom(classes_value(classes))
    key = MIL_pb2.STRING if isinstance(classes[0], str) else MIL_pb2.INT64
    op.outputs[0].type.Clear()
    op.outputs[0].type.tensorType.dataType = key
    op.outputs[1].type.Clear()
    op.outputs[1].type.dictionaryType.keyType.tensorType.dataType = key
    op.outputs[1].type.dictionaryType.valueType.tensorType.dataType = MIL_pb2.FLOAT64
    p.output(label, dictionary)
    spec = p.spec()
    for feature in spec.description.output:
        feature.type.Clear()
    if key == MIL_pb2.STRING:
        spec.description.output[0].type.stringType.SetInParent()
        spec.description.output[1].type.dictionaryType.stringKeyType.SetInParent()
    else:
        spec.description.output[0].type.int64Type.SetInParent()
        spec.description.output[1].type.dictionaryType.int64KeyType.SetInParent()
    spec.description.predictedFeatureName = label
    spec.description.predictedProbabilitiesName = dictionary
    weights = os.path.join(str(tmp_path), "weights")
    os.makedirs(weights, exist_ok=True)
    return ct.models.MLModel(spec, weights_dir=weights, compute_units=ct.ComputeUnit.CPU_ONLY), label, dictionary


@pytest.mark.parametrize("classes", [["cat", "dog", "bird", "fish"], [10, -3, 7, 42]])
def test_classify(tmp_path, classes):
    model, label, dictionary = classifier_model(tmp_path, classes, 4)
    probs = np.array([[0.1, 0.2, 0.6, 0.1]], dtype=np.float32)
    out = model.predict({"x": probs})
    assert out[label] == classes[2]
    assert type(out[label]) is (str if isinstance(classes[0], str) else int)
    assert set(out[dictionary]) == set(classes)
    for c, pr in zip(classes, probs[0]):
        assert out[dictionary][c] == pytest.approx(float(pr), rel=1e-7)
    # Ties go to the first class.
    out = model.predict({"x": np.array([[0.4, 0.1, 0.1, 0.4]], dtype=np.float32)})
    assert out[label] == classes[0]


def test_classify_size_mismatch(tmp_path):
    model, _, _ = classifier_model(tmp_path, ["a", "b", "c"], 4)
    with pytest.raises(Exception, match="classes"):
        model.predict({"x": np.zeros((1, 4), np.float32)})


def test_classifier_corpus_case():
    from conftest import case_by_name
    from corpus_runner import check_case

    check_case(case_by_name("torch_classifier_strings"))


# ---- non_maximum_suppression ----------------------------------------------------------------

def iou_matrix(boxes):
    x, y, w, h = boxes.T.astype(np.float64)
    l, r, t, b = x - w / 2, x + w / 2, y - h / 2, y + h / 2
    iw = np.maximum(0, np.minimum(r[:, None], r[None]) - np.maximum(l[:, None], l[None]))
    ih = np.maximum(0, np.minimum(b[:, None], b[None]) - np.maximum(t[:, None], t[None]))
    inter = iw * ih
    area = w * h
    return inter / (area[:, None] + area[None] - inter)


def nms_ref(boxes, scores, iou_thr, score_thr, max_boxes, per_class):
    """Greedy NMS for one batch item: boxes [N, 4] (centre, size), scores [N, K]."""
    best, cls = scores.max(-1), scores.argmax(-1)
    iou = iou_matrix(boxes)
    order = [i for i in np.argsort(-best, kind="stable") if score_thr is None or best[i] > score_thr]
    kept = []
    for i in order:
        if len(kept) == max_boxes:
            break
        if all(iou[i, k] <= iou_thr or (per_class and cls[i] != cls[k]) for k in kept):
            kept.append(i)
    if not kept and len(best) and max_boxes:
        kept = [int(np.argmax(best))]
    return kept


def test_nms_ios15_documented_example(tmp_path):
    boxes = np.array([[[0, 0, 0, 0], [1, 1, 1, 1], [2, 2, 2, 2], [3, 3, 3, 3]]], dtype=np.float32)
    scores = np.array([[[-3.5], [9.4], [2.3], [0.7]]], dtype=np.float32)
    b, s, idx, n = run_op(tmp_path, "non_maximum_suppression", {"boxes": boxes, "scores": scores}, outputs=4,
                          dtypes=[np.float32, np.float32, np.int32, np.int32], opset="CoreML5",
                          iou_threshold=np.float32(0.2), score_threshold=np.float32(0.4), max_boxes=np.int32(2),
                          per_class_suppression=True)
    np.testing.assert_array_equal(b, [[[1, 1, 1, 1], [2, 2, 2, 2]]])
    np.testing.assert_array_equal(s, np.array([[[9.4], [2.3]]], dtype=np.float32))
    np.testing.assert_array_equal(idx, [[1, 2]])
    np.testing.assert_array_equal(n, [2])


def random_boxes(batch, count):
    centre = RNG.uniform(0, 10, size=(batch, count, 2))
    size = RNG.uniform(1, 4, size=(batch, count, 2))
    return np.concatenate([centre, size], -1).astype(np.float32)


@pytest.mark.parametrize("per_class", [False, True])
@pytest.mark.parametrize("score_thr", [0.3, 0.99])
def test_nms_ios15(tmp_path, per_class, score_thr):
    batch, count, k, max_boxes = 2, 12, 3, 5
    boxes, scores = random_boxes(batch, count), RNG.random((batch, count, k)).astype(np.float32)
    b, s, idx, n = run_op(tmp_path, "non_maximum_suppression", {"boxes": boxes, "scores": scores}, outputs=4,
                          dtypes=[np.float32, np.float32, np.int32, np.int32], opset="CoreML5",
                          iou_threshold=np.float32(0.1), score_threshold=np.float32(score_thr),
                          max_boxes=np.int32(max_boxes), per_class_suppression=per_class)
    for i in range(batch):
        kept = nms_ref(boxes[i], scores[i], 0.1, score_thr, max_boxes, per_class)
        assert n[i] == len(kept)
        np.testing.assert_array_equal(idx[i], kept + [-1] * (max_boxes - len(kept)))
        np.testing.assert_array_equal(b[i, :len(kept)], boxes[i, kept])
        np.testing.assert_array_equal(s[i, :len(kept)], scores[i, kept])
        assert not b[i, len(kept):].any() and not s[i, len(kept):].any()


@pytest.mark.parametrize("per_class", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_nms_ios17_boxes_last(tmp_path, per_class, dtype):
    batch, count, k, max_boxes = 2, 10, 2, 4
    boxes, scores = random_boxes(batch, count), RNG.random((batch, count, k)).astype(np.float32)
    boxes, scores = boxes.astype(dtype), scores.astype(dtype)
    b, s, idx = run_op(tmp_path, "non_maximum_suppression",
                       {"boxes": boxes.transpose(0, 2, 1).copy(), "scores": scores.transpose(0, 2, 1).copy()},
                       outputs=3, dtypes=[dtype, dtype, np.int32], opset="CoreML7", iou_threshold=dtype(0.15),
                       max_boxes=np.int32(max_boxes), per_class_suppression=per_class)
    assert b.shape == (batch, 4, max_boxes) and s.shape == (batch, k, max_boxes)
    for i in range(batch):
        kept = nms_ref(boxes[i].astype(np.float32), scores[i].astype(np.float32), float(dtype(0.15)), None,
                       max_boxes, per_class)
        np.testing.assert_array_equal(idx[i], kept + [-1] * (max_boxes - len(kept)))
        np.testing.assert_array_equal(b[i][:, :len(kept)], boxes[i, kept].T)
        np.testing.assert_array_equal(s[i][:, :len(kept)], scores[i, kept].T)


# ---- scaled_dot_product_attention -----------------------------------------------------------

def sdpa_ref(q, k, v, mask=None):
    q, k, v = (a.astype(np.float64) for a in (q, k, v))
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores + (np.where(mask, 0.0, -np.inf) if mask.dtype == np.bool_ else mask.astype(np.float64))
    scores = np.exp(scores - scores.max(-1, keepdims=True))
    return (scores / scores.sum(-1, keepdims=True)) @ v


def test_sdpa_no_mask(tmp_path):
    q, k, v = RNG.standard_normal((2, 3, 4, 8)), RNG.standard_normal((2, 3, 6, 8)), RNG.standard_normal((2, 3, 6, 5))
    q, k, v = (a.astype(np.float32) for a in (q, k, v))
    (y,) = run_op(tmp_path, "scaled_dot_product_attention", {"query": q, "key": k, "value": v}, opset="CoreML8")
    close(y, sdpa_ref(q, k, v), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mask_shape", [(4, 6), (2, 1, 4, 6), (1, 3, 1, 6), (6,)])
@pytest.mark.parametrize("kind", ["bool", "float"])
def test_sdpa_mask(tmp_path, mask_shape, kind):
    q, k, v = RNG.standard_normal((2, 3, 4, 8)), RNG.standard_normal((2, 3, 6, 8)), RNG.standard_normal((2, 3, 6, 5))
    q, k, v = (a.astype(np.float32) for a in (q, k, v))
    if kind == "bool":
        mask = RNG.random(mask_shape) < 0.7
        mask[..., 0] = True  # every row keeps at least one position
    else:
        mask = RNG.standard_normal(mask_shape).astype(np.float32)
    (y,) = run_op(tmp_path, "scaled_dot_product_attention", {"query": q, "key": k, "value": v, "attn_mask": mask},
                  opset="CoreML8")
    close(y, sdpa_ref(q, k, v, mask), rtol=1e-5, atol=1e-5)


def test_sdpa_fp16_rank3(tmp_path):
    q, k, v = RNG.standard_normal((2, 5, 4)), RNG.standard_normal((2, 7, 4)), RNG.standard_normal((2, 7, 3))
    q, k, v = (a.astype(np.float16) for a in (q, k, v))
    (y,) = run_op(tmp_path, "scaled_dot_product_attention", {"query": q, "key": k, "value": v}, opset="CoreML8")
    assert_representable(y, np.float16)
    close(y, sdpa_ref(q, k, v), rtol=3e-3, atol=3e-3)


def test_sdpa_shape_errors(tmp_path):
    q, k, v = np.zeros((1, 2, 4), np.float32), np.zeros((1, 3, 5), np.float32), np.zeros((1, 3, 2), np.float32)
    with pytest.raises(Exception, match="embedding"):
        run_op(tmp_path, "scaled_dot_product_attention", {"query": q, "key": k, "value": v}, opset="CoreML8")


def test_sdpa_corpus_case():
    from conftest import case_by_name
    from corpus_runner import check_case

    check_case(case_by_name("torch_sdpa_ios18_fp32"))
