# Shared timing for the reference benchmarks: the same method as `tlab bench kernels` (one warm-up
# call, repetitions for at least 0.3 s per run, median of runs) and the same JSON fields;
# `tlab bench models` asks for at least 0.5 s and 3 repetitions.
import json
import statistics
import time


def measure(name, flops, images, body, runs, threads, min_seconds=0.3, min_repetitions=1):
    body()
    start = time.perf_counter()
    body()
    once = max(time.perf_counter() - start, 1e-6)
    repetitions = max(min_repetitions, int(-(-min_seconds // once)))
    times, cpu_times = [], []
    for _ in range(runs):
        start, cpu_start = time.perf_counter(), time.process_time()
        for _ in range(repetitions):
            body()
        times.append((time.perf_counter() - start) / repetitions)
        cpu_times.append((time.process_time() - cpu_start) / repetitions)
    median = statistics.median(times)
    return {
        "name": name, "threads": threads, "runs": runs, "medianSeconds": median,
        "minSeconds": min(times), "maxSeconds": max(times), "gflops": flops / median / 1e9,
        "imagesPerSecond": images / median if images else None,
        "gflopsPerCPUSecond": flops / statistics.median(cpu_times) / 1e9,
    }


def report(results, as_json):
    if as_json:
        print(json.dumps(results, indent=2, sort_keys=True))
        return
    for r in results:
        ips = f"{r['imagesPerSecond']:10.0f}" if r["imagesPerSecond"] else " " * 10
        print(f"{r['name']:<38} {r['gflops']:8.1f} {ips} {r['medianSeconds'] * 1e3:10.2f}"
              f"  ({r['minSeconds'] * 1e3:.2f}..{r['maxSeconds'] * 1e3:.2f}) {r['gflopsPerCPUSecond']:9.1f}")
