"""Turns run.py's measurements into markdown tables.

Every ratio is opencoreml's cost divided by the other runtime's (time, or memory): below 1
opencoreml is faster or smaller, above 1 it is slower or bigger. Batch throughput is
compared the same way, as the time taken for the batch.
"""

OTHERS = (("onnxruntime", "ORT"), ("pytorch", "PyTorch"))


def num(value, digits=3):
    if value is None:
        return "-"
    if value >= 10 ** digits:
        return "%d" % round(value)
    return "%.*g" % (digits, value)


def ratio(mine, theirs):
    return "-" if mine is None or theirs is None else "%.2f" % (mine / theirs)


def one_line(r):
    if "error" in r:
        return "not run: " + r["error"]
    return "median %s ms, p90 %s ms, batch %s/s, load %s ms, peak RSS %s MB, max|diff| %.2g" % (
        num(r["median_ms"]), num(r["p90_ms"]), num(r["batch_per_s"]), num(r["load_ms"]), num(r["peak_rss_mb"]),
        max(r["diff_one"], r["diff_batch"]))


# How best_of keeps the best of several rounds, figure by figure.
BEST = {"import_ms": min, "load_ms": min, "median_ms": min, "p90_ms": min, "batch_per_s": max,
        "peak_rss_mb": max, "diff_one": max, "diff_batch": max, "calls": max}


def best_of(rounds):
    """Merges rounds of results (same jobs in the same order): the best time and throughput,
    the worst memory and output difference. A job that failed in every round stays failed; one
    that failed in some keeps the figures of the others and says how often it failed."""
    merged = []
    for same_job in zip(*rounds):
        ran = [r for r in same_job if "error" not in r]
        failed = [r for r in same_job if "error" in r]
        if not ran:
            merged.append(failed[0])
            continue
        best = dict(ran[0])
        for name, pick in BEST.items():
            best[name] = pick(r[name] for r in ran)
        if failed:
            best["failed_rounds"] = "%d of %d rounds: %s" % (len(failed), len(same_job), failed[0]["error"])
        merged.append(best)
    return merged


def index(results):
    """{(model, threads, label): result} for the results that ran."""
    return {(r["model"], r["threads"], r["label"]): r for r in results if "error" not in r}


def separator(head):
    return "|" + "---|" * (head.count("|") - 1)


def field(table, key, name, transform=lambda v: v):
    r = table.get(key)
    return None if r is None else transform(r[name])


def latency(table, key):
    r = table.get(key)
    return "-" if r is None else "%s (%s)" % (num(r["median_ms"]), num(r["p90_ms"]))


def batch_time(table, key):
    return field(table, key, "batch_per_s", lambda v: 1.0 / v)


def latency_table(results, table):
    head = ("| model | threads | opencoreml | opencoreml median (p90) ms | ORT median (p90) ms | PyTorch median (p90) ms "
            "| ÷ORT | ÷PyTorch | opencoreml batch/s | ORT batch/s | PyTorch batch/s | batch time ÷ORT | batch time ÷PyTorch |")
    lines = [head, separator(head)]
    seen = []
    for r in results:
        key = (r["model"], r["threads"], r["label"])
        if r["runtime"] != "opencoreml" or key in seen:
            continue
        seen.append(key)
        model, threads, label = key
        cells = [model, str(threads), label.split(" ", 1)[1]]

        theirs = [(model, threads, other) for other, _ in OTHERS]
        cells.append(latency(table, key) if key in table else "not run")
        cells += [latency(table, k) for k in theirs]
        cells += [ratio(field(table, key, "median_ms"), field(table, k, "median_ms")) for k in theirs]
        cells += [num(field(table, k, "batch_per_s")) for k in [key] + theirs]
        cells += [ratio(batch_time(table, key), batch_time(table, k)) for k in theirs]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def resources_table(results, table):
    """Load time and peak RSS at the lowest thread count; worst output difference over all."""
    threads = min(r["threads"] for r in results)
    head = "| model | runtime | load ms | load ÷ORT | load ÷PyTorch | peak RSS MB | RSS ÷ORT | RSS ÷PyTorch | max abs diff vs PyTorch |"
    lines = [head, separator(head)]
    labels = []
    for r in results:
        if (r["model"], r["label"]) not in labels:
            labels.append((r["model"], r["label"]))
    for model, label in labels:
        key = (model, threads, label)
        if key not in table:
            continue
        diffs = [max(r["diff_one"], r["diff_batch"]) for r in results
                 if (r["model"], r["label"]) == (model, label) and "error" not in r]
        mine = table[key]
        ratios = {name: [ratio(mine[name], field(table, (model, threads, o), name)) if label.startswith("opencoreml") else ""
                         for o, _ in OTHERS]
                  for name in ("load_ms", "peak_rss_mb")}
        cells = [model, label, num(mine["load_ms"])] + ratios["load_ms"] + [num(mine["peak_rss_mb"])] + ratios["peak_rss_mb"]
        cells.append("%.2g" % max(diffs))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines), threads


def markdown(info, results):
    table = index(results)
    v = info["versions"]
    out = [
        "Run on %s: %s, %d cores; Python %s, opencoreml %s, onnxruntime %s, torch %s, numpy %s; "
        "1-minute load average %.1f at start, %.1f at end; best of %d round(s)." % (
            info["date"], info["cpu"], info["cores"], info["python"], v["opencoreml"], v["onnxruntime"], v["torch"],
            v["numpy"], info["loadavg_start"], info["loadavg_end"], info["rounds"]),
        "",
        "Single-sample latency and batch throughput (batch of %d; ratios: opencoreml time ÷ other's):" % results[0]["batch"],
        "",
        latency_table(results, table),
        "",
    ]
    resources, threads = resources_table(results, table)
    out += ["Load time and peak RSS of the whole process (%d thread), and output agreement:" % threads, "", resources, ""]
    failed = [r for r in results if "error" in r or "failed_rounds" in r]
    if failed:
        out += ["Not run, or failed in some rounds:", ""]
        out += ["- %s, %s, %d thread(s): %s" % (r["model"], r["label"], r["threads"], r.get("error") or "failed in " + r["failed_rounds"])
                for r in failed]
    return "\n".join(out)
