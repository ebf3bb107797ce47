"""Load test of POST /v1/score: 32 concurrent clients, micro-batching on versus off, same run.

`make loadtest` (python -m serving.loadtest). Each mode starts its own server process
(`buyintent serve`), waits for /readyz, drives it with single-comment requests drawn from
the project's hand-written comments, and reads from /proc the server's peak resident
memory, the CPU it spent per request and how busy the machine was (a server well below
100% busy waits on its own pipeline; it is not short of cores). The load comes from wrk
(a separate C process, `apt-get install wrk`) when it is installed; otherwise from an
asyncio + httpx client in this process, which on a small machine saturates before the
server does. Prints one JSON line per mode and the ratio.
A benchmark, not a test: nothing here gates CI.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import sys
import time
from pathlib import Path

import httpx

from training.synth import hand_written

REPO = Path(__file__).resolve().parent.parent
KEY = "loadtest-key"


def _descendants(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(c) for c in (task / "children").read_text().split()]
    return children + [d for c in children for d in _descendants(c)]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of the server and its children (the model process) so far."""
    ticks = 0
    for p in [pid, *_descendants(pid)]:
        # Fields after the command name (which may hold spaces): utime and stime are 14th and 15th.
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of all cores so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def _peak_rss_mib(pid: int) -> float:
    """Peak resident memory of the server and its children (the model process), summed."""
    total = 0
    for p in [pid, *_descendants(pid)]:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    return total / 1024


async def _drive(url: str, concurrency: int, duration: float, texts: list[str]) -> dict:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + duration
    headers = {"Authorization": f"Bearer {KEY}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def client(i: int, http: httpx.AsyncClient):
        nonlocal errors
        rng = random.Random(i)
        n = 0
        while time.perf_counter() < deadline:
            body = {"comments": [{"id": f"{i}-{n}", "text": rng.choice(texts)}]}
            started = time.perf_counter()
            try:
                resp = await http.post(url, json=body, headers=headers)
                ok = resp.status_code == 200
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - started)
            errors += not ok
            n += 1

    started = time.perf_counter()
    async with httpx.AsyncClient(limits=limits, timeout=30) as http:
        await asyncio.gather(*(client(i, http) for i in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    pct = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    return {"requests": len(latencies), "errors": errors, "seconds": round(elapsed, 1),
            "rps": round(len(latencies) / elapsed, 1), "p50_ms": round(pct(0.50), 1), "p99_ms": round(pct(0.99), 1)}


WRK_SCRIPT = """
local bodies = {%s}
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %s"}
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", nil, headers, bodies[(n %% #bodies) + 1])
end
"""


def _lua_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _drive_wrk(url: str, concurrency: int, duration: float, texts: list[str]) -> dict:
    rng = random.Random(0)
    bodies = [json.dumps({"comments": [{"id": str(i), "text": rng.choice(texts)}]}, ensure_ascii=False)
              for i in range(2000)]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", encoding="utf-8", delete=False) as fh:
        fh.write(WRK_SCRIPT % (",".join(map(_lua_string, bodies)), KEY))
    # One wrk thread: on a 2-core machine a second one takes CPU from the server under test.
    out = subprocess.run(["wrk", "-t1", f"-c{concurrency}", f"-d{int(duration)}s", "--latency", "-s", fh.name, url],
                         capture_output=True, text=True, check=True).stdout
    os.unlink(fh.name)

    def ms(label):
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return round(value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 1)

    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, sock.groups())) if sock else 0)
    return {"client": "wrk", "requests": total, "errors": errors, "seconds": duration,
            "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50_ms": ms("50"), "p99_ms": ms("99")}


def run_mode(batching: bool, *, port: int, concurrency: int, duration: float, texts: list[str]) -> dict:
    env = {**os.environ, "BUYINTENT_API_KEYS": f"loadtest:{KEY}", "BUYINTENT_BATCHING": str(batching).lower()}
    server = subprocess.Popen([sys.executable, "-m", "serving.cli", "serve", "--port", str(port)], cwd=REPO, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("server did not become ready in 60 s")
        url = f"{base}/v1/score"
        if shutil.which("wrk"):
            drive = lambda seconds: _drive_wrk(url, concurrency, seconds, texts)  # noqa: E731
        else:
            drive = lambda seconds: {"client": "httpx", **asyncio.run(_drive(url, concurrency, seconds, texts))}  # noqa: E731
        drive(min(3.0, duration))  # warm-up
        cpu_before, busy_before = _cpu_seconds(server.pid), _machine_busy()
        result = drive(duration)
        cpu, busy = _cpu_seconds(server.pid) - cpu_before, _machine_busy()
        # CPU the server spent per request, and how busy the machine was (client included):
        # tells a server short of CPU from one waiting on its own pipeline.
        result["server_cpu_ms_per_request"] = round(cpu * 1000 / max(result["requests"], 1), 2)
        result["machine_busy_pct"] = round(100 * (busy[0] - busy_before[0]) / max(busy[1] - busy_before[1], 1), 1)
        result["server_peak_rss_mib"] = round(_peak_rss_mib(server.pid), 1)
        return {"batching": batching, "concurrency": concurrency, **result}
    finally:
        server.terminate()
        server.wait(timeout=30)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load per mode")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    texts = [r["text"] for r in hand_written()]
    results = [run_mode(b, port=args.port, concurrency=args.concurrency, duration=args.duration, texts=texts)
               for b in (True, False)]
    for r in results:
        print(json.dumps(r))
    on, off = results
    print(json.dumps({"throughput_ratio_batching_on_vs_off": round(on["rps"] / off["rps"], 2) if off["rps"] else None}))


if __name__ == "__main__":
    main()
