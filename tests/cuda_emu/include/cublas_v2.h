// cublas_v2.h — stands in for the CUDA header of that name in the emulated build (tests/cuda_emu).
#include "../emu_cuda.h"
