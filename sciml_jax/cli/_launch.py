"""`sciml run/resume --processes N`: start N local workers joined by `jax.distributed`.

Each worker is `python -m sciml_jax resume RUN_DIR` with the variables that
`distributed.initialize_multihost` reads (a cluster scheduler sets the same ones, see the
README). Process 0 writes the run directory and its checkpoints; the others read the
checkpoints and keep their logs under `workers/process-<i>/`. If one worker dies the
others are stopped, and `sciml resume RUN_DIR --processes N` continues from the last
checkpoint.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for worker in workers:
        try:
            worker.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def launch(run_dir: str | Path, processes: int, *, compile_cache: bool = True) -> int:
    """Run the experiment in `run_dir` (its `config.yaml`) on `processes` local processes.

    Returns 0 when every worker finished cleanly, else the first failing worker's exit
    status (its output is in `workers/process-<i>/output.log`, process 0's on this
    terminal).
    """
    run_dir = Path(run_dir)
    env = dict(
        os.environ,
        SCIML_COORDINATOR=f"127.0.0.1:{_free_port()}",
        SCIML_NUM_PROCESSES=str(processes),
    )
    command = [sys.executable, "-m", "sciml_jax", "resume", str(run_dir)]
    if not compile_cache:
        command.append("--no-compile-cache")
    workers, logs = [], []
    try:
        for index in range(processes):
            output = None
            if index > 0:
                folder = run_dir / "workers" / f"process-{index}"
                folder.mkdir(parents=True, exist_ok=True)
                output = open(folder / "output.log", "a")
                logs.append(output)
            workers.append(
                subprocess.Popen(
                    command,
                    env={**env, "SCIML_PROCESS_ID": str(index)},
                    stdout=output,
                    stderr=None if output is None else subprocess.STDOUT,
                )
            )
        while True:
            codes = [worker.poll() for worker in workers]
            failed = [(i, code) for i, code in enumerate(codes) if code not in (None, 0)]
            if failed:
                index, code = failed[0]
                _stop(workers)
                print(
                    f"error: process {index} of {processes} exited with status {code}; the "
                    f"others were stopped. Its output: "
                    f"{'above' if index == 0 else run_dir / 'workers' / f'process-{index}'}"
                    f"{'' if index == 0 else '/output.log'}. Continue with `sciml resume "
                    f"{run_dir} --processes {processes}`",
                    file=sys.stderr,
                )
                return code if code > 0 else 1
            if all(code == 0 for code in codes):
                return 0
            time.sleep(0.2)
    except BaseException:
        _stop(workers)
        raise
    finally:
        for output in logs:
            output.close()
