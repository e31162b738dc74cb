"""PyTorch at a given thread count, for every peer script in bench/.

Debian's python3-torch does its matrix products in OpenBLAS (pthread build), whose thread pool ignores
torch.set_num_threads: at "1 thread" a Linear layer's product still ran on both cores (128×512×784: 172 GFLOP/s,
against 98 with OpenBLAS held to one thread). And at 2 threads, OpenMP's workers spin after each parallel region
while OpenBLAS's threads want the same two cores: the bench MLP trained at 4.8k samples/s and inferred at 20k,
against 9.4k and 115k with OpenMP's workers sleeping instead (OMP_WAIT_POLICY=PASSIVE; the CNN is unchanged).
So a peer script imports this module before torch (OpenMP reads its wait policy once, when it starts) and calls
set_threads, which sets both pools to the same count.
"""
import ctypes
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def set_threads(torch, threads):
    """Sets torch's and the loaded OpenBLAS's thread counts (a process may change them between runs)."""
    torch.set_num_threads(threads)
    blas = loaded_openblas()
    if blas is None:
        return  # another BLAS: torch.set_num_threads is all there is
    blas.openblas_set_num_threads(threads)
    blas.openblas_get_num_threads.restype = ctypes.c_int
    if blas.openblas_get_num_threads() != threads:
        raise RuntimeError(f"torch_threads: OpenBLAS kept {blas.openblas_get_num_threads()} threads, asked for {threads}")


def loaded_openblas():
    """The OpenBLAS this process has mapped (torch loads libblas.so.3, OpenBLAS through Debian's alternatives)."""
    with open("/proc/self/maps") as maps:
        paths = sorted({line.split()[-1] for line in maps if ".so" in line and "blas" in line.split()[-1]})
    for path in paths:
        library = ctypes.CDLL(path)
        if hasattr(library, "openblas_set_num_threads"):
            return library
    return None
