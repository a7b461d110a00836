// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Pins the math libraries' kernels and threads (fedtrain/model/math_kernels.hpp). The libraries are
// reached through the dynamic linker rather than their headers: OpenBLAS through the functions
// its DYNAMIC_ARCH build exports (gotoblas_dynamic_init re-reads OPENBLAS_CORETYPE, exactly as
// its library constructor did), oneDNN through its C API (dnnl_set_max_cpu_isa and
// dnnl_set_default_fpmath_mode take effect only before its first primitive, and win over its
// environment variables), ATen through ATEN_CPU_CAPABILITY, which it reads at its first kernel
// call. A static initialiser pins before main() so that nothing in the process runs a kernel
// first; pin_math_kernels() then only reports.
#include "fedtrain/model/math_kernels.hpp"

#include <dlfcn.h>
#include <strings.h>

#include <cstdlib>
#include <string>

#include <ATen/Parallel.h>

namespace flywheel::fedtrain {
namespace {

struct FamilyKernels {
  const char* blas_core;  // an OPENBLAS_CORETYPE name
  int onednn_isa;         // dnnl_cpu_isa_t
  const char* onednn_name;
  const char* aten;  // an ATEN_CPU_CAPABILITY value
};

// dnnl_cpu_isa_t values (oneapi/dnnl/dnnl_types.h, stable across oneDNN 2.x).
constexpr int kDnnlIsaSse41 = 0x1;
constexpr int kDnnlIsaAvx2 = 0x7;
constexpr int kDnnlFpmathStrict = 0;  // dnnl_fpmath_mode_strict
constexpr int kDnnlSuccess = 0;

FamilyKernels kernels_of(KernelFamily family) {
  if (family == KernelFamily::avx2) return {"Haswell", kDnnlIsaAvx2, "avx2", "avx2"};
  return {"Prescott", kDnnlIsaSse41, "sse41", "default"};
}

bool cpu_has_avx2_fma() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

template <class F>
F symbol(const char* name) {
  return reinterpret_cast<F>(::dlsym(RTLD_DEFAULT, name));
}

Result<KernelFamily> choose_family() {
  const bool avx2 = cpu_has_avx2_fma();
  const char* forced = std::getenv("FLYWHEEL_KERNELS");
  const std::string wanted = forced != nullptr ? forced : "auto";
  if (wanted == "auto" || wanted.empty()) return avx2 ? KernelFamily::avx2 : KernelFamily::baseline;
  if (wanted == "baseline") return KernelFamily::baseline;
  if (wanted == "avx2") {
    if (!avx2) {
      return fail(Errc::config,
                  "FLYWHEEL_KERNELS=avx2, but this CPU lacks AVX2 or FMA: unset it (this CPU runs "
                  "the baseline kernels) or use FLYWHEEL_KERNELS=baseline");
    }
    return KernelFamily::avx2;
  }
  return fail(Errc::config, "FLYWHEEL_KERNELS is \"" + wanted + "\"; it takes auto, avx2 or baseline");
}

// OpenBLAS: one thread, and the family's core table in place of the one its constructor chose.
Result<std::string> pin_openblas(const FamilyKernels& kernels) {
  using CoreName = char* (*)();
  using Void = void (*)();
  using SetThreads = void (*)(int);
  const auto corename = symbol<CoreName>("openblas_get_corename");
  const auto set_threads = symbol<SetThreads>("openblas_set_num_threads");
  const auto dynamic_init = symbol<Void>("gotoblas_dynamic_init");
  const auto dynamic_quit = symbol<Void>("gotoblas_dynamic_quit");
  if (corename == nullptr || set_threads == nullptr) {
    return fail(Errc::internal,
                "the BLAS library is not OpenBLAS, so matrix products would differ from every "
                "other machine's (and run ~20x slower): apt-get install libopenblas0-pthread, "
                "or select it with update-alternatives --config libblas.so.3-x86_64-linux-gnu");
  }
  if (dynamic_init == nullptr || dynamic_quit == nullptr) {
    return fail(Errc::internal, std::string("OpenBLAS was built for one CPU (") + corename() +
                                    "), so its kernels cannot be pinned: use Debian's libopenblas0-pthread");
  }
  // Parameters of the older cores are sized from the L2 cache OpenBLAS detects; fixing the size
  // keeps the baseline family's blocking the same on every CPU.
  ::setenv("OPENBLAS_L2_SIZE", "256", 1);
  ::setenv("OPENBLAS_CORETYPE", kernels.blas_core, 1);
  dynamic_quit();
  dynamic_init();
  set_threads(1);
  std::string core = corename();
  if (::strcasecmp(core.c_str(), kernels.blas_core) != 0) {
    return fail(Errc::internal, "OpenBLAS runs its " + core + " kernels after being asked for " + kernels.blas_core);
  }
  return core;
}

// oneDNN (libtorch's convolutions): the family's ISA cap and strict fp32 arithmetic (no bf16
// down-conversion, which ONEDNN_DEFAULT_FPMATH_MODE could otherwise turn on).
Result<std::string> pin_onednn(const FamilyKernels& kernels) {
  using SetInt = int (*)(int);
  using GetInt = int (*)();
  const auto set_isa = symbol<SetInt>("dnnl_set_max_cpu_isa");
  const auto effective_isa = symbol<GetInt>("dnnl_get_effective_cpu_isa");
  const auto set_fpmath = symbol<SetInt>("dnnl_set_default_fpmath_mode");
  const auto get_fpmath = symbol<GetInt>("dnnl_get_default_fpmath_mode");
  if (set_isa == nullptr || effective_isa == nullptr) return std::string("none");
  if (set_isa(kernels.onednn_isa) != kDnnlSuccess && effective_isa() != kernels.onednn_isa) {
    return fail(Errc::internal, std::string("oneDNN ran before its kernels could be capped at ") + kernels.onednn_name +
                                    ": call pin_math_kernels() before any libtorch use");
  }
  if (set_fpmath != nullptr && get_fpmath != nullptr && set_fpmath(kDnnlFpmathStrict) != kDnnlSuccess &&
      get_fpmath() != kDnnlFpmathStrict) {
    return fail(Errc::internal, "oneDNN's default fp32 math mode could not be set to strict");
  }
  return std::string(kernels.onednn_name);
}

Result<MathKernels> pin() {
  auto family = choose_family();
  if (!family) return tl::unexpected(family.error());
  const auto kernels = kernels_of(*family);
  MathKernels pinned;
  pinned.family = *family;
  auto blas = pin_openblas(kernels);
  if (!blas) return tl::unexpected(blas.error());
  pinned.blas_core = *blas;
  auto onednn = pin_onednn(kernels);
  if (!onednn) return tl::unexpected(onednn.error());
  pinned.onednn_isa = *onednn;
  // Read at ATen's first kernel call, which has not happened yet when this runs before main().
  ::setenv("ATEN_CPU_CAPABILITY", kernels.aten, 1);
  pinned.aten = kernels.aten;
  // Intra-op threads of this thread (OpenMP); fedtrain's worker threads set their own.
  at::set_num_threads(1);
  return pinned;
}

// Pins before main(), so that no kernel of the process runs unpinned.
[[maybe_unused]] const bool kPinnedAtStartup = [] {
  (void)pin_math_kernels();
  return true;
}();

}  // namespace

std::string_view to_string(KernelFamily family) { return family == KernelFamily::avx2 ? "avx2" : "baseline"; }

const Result<MathKernels>& pin_math_kernels() {
  static const Result<MathKernels> pinned = pin();
  return pinned;
}

std::string_view kernel_family_name() {
  const auto& pinned = pin_math_kernels();
  return pinned ? to_string(pinned->family) : "unpinned";
}

}  // namespace flywheel::fedtrain
