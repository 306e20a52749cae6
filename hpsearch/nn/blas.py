"""One BLAS thread for training and gradient checking, wherever they run.

BLAS sums a product in another order over more threads, so a trial's floats, and with them a
search's table, would depend on the number of workers. And the network's products are small:
over several threads they wait on each other, the more so when other processes hold the cores
(gradient checking of the digits network took 105 s on a loaded 2-core machine, 1.9 s on one
thread). Every place that trains or checks the network does it inside `one_thread()`: trials
(`objective.run_task`), panda's runner, `hpsearch train`, `gradient_check`.
"""

from __future__ import annotations

from threadpoolctl import threadpool_limits


def one_thread(threads: int = 1):
    """A context in which BLAS uses `threads` threads, one unless a run records more
    (`search.threads`, see modes.cores), as it was again after it."""
    return threadpool_limits(limits=threads, user_api="blas")
