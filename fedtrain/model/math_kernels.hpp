// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Which CPU kernels the math libraries under fedtrain run, pinned once per process so that a
//! result depends on the job and not on the CPU or the environment (docs/reproducibility.md).
//!
//! OpenBLAS (the MLP's matrix products), oneDNN (libtorch's convolutions) and ATen (libtorch's
//! element-wise and reduction kernels) each choose kernels for the CPU they find, and each reads
//! environment variables that change the choice: OPENBLAS_CORETYPE, OPENBLAS_NUM_THREADS,
//! DNNL_MAX_CPU_ISA / ONEDNN_MAX_CPU_ISA, ONEDNN_DEFAULT_FPMATH_MODE, ATEN_CPU_CAPABILITY,
//! OMP_NUM_THREADS. Kernels for different instruction sets sum in different orders, so an
//! AVX-512 machine and an AVX2 machine train to different bits. pin_math_kernels() overrides all
//! of them: one thread per library call (fedtrain parallelises over participants itself) and one
//! kernel family per CPU class:
//!
//! | family     | CPUs                        | OpenBLAS core | oneDNN ISA cap | ATen       |
//! |------------|-----------------------------|---------------|----------------|------------|
//! | `avx2`     | with AVX2 and FMA (x86-64-v3: Intel since 2013, AMD since 2015) | Haswell | avx2 | avx2 |
//! | `baseline` | any x86-64                  | Prescott      | sse41          | default    |
//!
//! Every CPU of a family runs the same kernels and so computes the same bits. The family is
//! `avx2` where the CPU has it, else `baseline`; the variable FLYWHEEL_KERNELS=baseline forces
//! the baseline family on any CPU (to check, on a new machine, what an old one computes), and
//! FLYWHEEL_KERNELS=avx2 refuses to run on a CPU without AVX2 and FMA.
//!
//! Usage, first thing in main():
//!
//!   const auto& kernels = flywheel::fedtrain::pin_math_kernels();
//!   if (!kernels) { std::cerr << kernels.error().message << "\n"; return 1; }
//!   kernels->family;  // KernelFamily::avx2 on this CPU; runs record kernel_family_name()
//!
//! fedtrain's own entry points (train_local, evaluate, CoalitionModels) call it too, so a program
//! that forgets still runs pinned; a library that ran before the pin (oneDNN or ATen used directly
//! by the program) makes it fail rather than run unpinned.

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace flywheel::fedtrain {

//! A kernel family: every CPU of the family runs the same math kernels.
enum class KernelFamily {
  avx2,      //!< x86-64-v3: AVX2 and FMA
  baseline,  //!< any x86-64
};

//! "avx2" or "baseline".
std::string_view to_string(KernelFamily family);

//! What pin_math_kernels() set, as the libraries report it back.
struct MathKernels {
  KernelFamily family = KernelFamily::baseline;
  std::string blas_core;   //!< OpenBLAS's core name in use, e.g. "Haswell"
  std::string onednn_isa;  //!< oneDNN's ISA cap, e.g. "avx2"; "none" without oneDNN
  std::string aten;        //!< ATen's CPU capability, e.g. "avx2"
};

//! Pins OpenBLAS, oneDNN, ATen and OpenMP as described above. The first call does the work and
//! every later call returns its result; thread-safe. Changes the process environment
//! (OPENBLAS_CORETYPE, ATEN_CPU_CAPABILITY), so child processes start pinned the same way.
//! Errors: Errc::config when FLYWHEEL_KERNELS is not "avx2", "baseline" or "auto", or asks for
//! avx2 on a CPU without AVX2 and FMA; Errc::internal when the BLAS library is not a
//! DYNAMIC_ARCH OpenBLAS (Debian's libopenblas0-pthread), or when oneDNN or ATen already ran
//! with other kernels before the call.
const Result<MathKernels>& pin_math_kernels();

//! The pinned family's name for run records ("avx2" or "baseline"), or "unpinned" when
//! pin_math_kernels() failed.
std::string_view kernel_family_name();

}  // namespace flywheel::fedtrain
