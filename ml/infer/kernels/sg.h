/* What the kernel sources share: tensor type codes and the description of one linear layer.
 * The structs are mirrored field for field by ctypes in ml/infer/native.py. */
#ifndef SG_H
#define SG_H
#include <stdint.h>
#include <string.h>

enum { QT_F32 = 0, QT_F16 = 1, QT_Q4_0 = 2, QT_Q4_1 = 3, QT_Q8_0 = 8, QT_Q2_K = 10, QT_Q3_K = 11,
       QT_Q4_K = 12, QT_Q5_K = 13, QT_Q6_K = 14, QT_BF16 = 30 };
enum { QK = 32, QK_K = 256 };

/* What the SIMD kernels may use (sg_simd_use): portable C, AVX2, or AVX2 with the VNNI
 * byte dot product in its AVX-VNNI (VEX) or AVX512-VNNI + VL (EVEX) encoding. Every level forms
 * the same exact integer sums per block; the 32-block types' VNNI kernels keep AVX2's lanes too,
 * so their floats are bit-identical, and the K-quants' agree to rounding. */
enum { SG_SIMD_PORTABLE = 0, SG_SIMD_AVX2 = 1, SG_SIMD_AVXVNNI = 2, SG_SIMD_AVX512VNNI = 3 };

/* IEEE half -> float, exact (subnormals renormalized, inf/nan kept): the scale fields of
 * every block type are stored this way. */
static inline float sg_fp16_to_fp32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13);  /* inf / nan */
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    } else if (man == 0) {
        bits = sign;
    } else {  /* subnormal: renormalize */
        int shift = 0;
        while (!(man & 0x400)) { man <<= 1; shift++; }
        bits = sign | ((uint32_t)(113 - shift) << 23) | ((man & 0x3ff) << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
/* acc + per int32 lane the sum of four unsigned-byte x signed-byte products (vpdpbusd), the
 * work of maddubs + madd with ones in one instruction and without int16 saturation. Written as
 * inline assembly so one AVX2-compiled kernel body can hold it behind a constant `vnni`
 * (1: VEX, 2: EVEX) that each instantiation folds away; the dispatch runs a VNNI instantiation
 * only on a CPU that has it. */
__attribute__((target("avx2"), always_inline)) static inline __m256i sg_dpbusd(
    __m256i acc, __m256i u, __m256i s, const int vnni) {
    if (vnni == 2) __asm__("vpdpbusd %2, %1, %0" : "+x"(acc) : "x"(u), "x"(s));
    else __asm__("%{vex%} vpdpbusd %2, %1, %0" : "+x"(acc) : "x"(u), "x"(s));
    return acc;
}
#endif

/* One activation super-block for the K-quant products (kquant.c), as ggml's block_q8_K:
 * q = round(x * 127 / amax), d = amax / 127, and the sums of q over each 16 values. */
typedef struct {
    float d;
    int8_t q[QK_K];
    int16_t bsums[QK_K / 16];
} SgQ8K;

/* Bytes of one K-quant super-block, or 0 when qtype is not a K-quant. */
int64_t sg_kq_block_bytes(int qtype);
/* One activation row of K values (K % 256 == 0) -> K / 256 blocks. */
void sg_kq_quantize_row(const float *x, int64_t K, SgQ8K *out);
/* dot(weight row of nb super-blocks, activation row) at SIMD level `simd` (SG_SIMD_*). */
float sg_kq_dot(int qtype, const uint8_t *w, const SgQ8K *x, int64_t nb, int simd);
/* nblocks super-blocks -> nblocks * 256 floats, the same bits ml/sou/kquant.py gives. */
void sg_kq_dequantize(int qtype, const uint8_t *w, int64_t nblocks, float *out);

/* y (M, n) = x (M, k) @ W^T + bias, W (n, k) stored in `qtype` at `w` (row-major). */
typedef struct {
    const uint8_t *w;
    const float *bias; /* (n,) or NULL */
    int64_t n, k;
    int32_t qtype;
    int32_t reserved;
} SgLinear;

/* outs[i] (M, lins[i].n) = x (M, K) @ W_i^T for `count` linears that read the same input
 * (q/k/v, gate/up), every row of every weight shared out in one parallel loop. Block-quantized
 * weights meet the input quantized once to 8-bit blocks (float_acts = 0: decode steps, integer
 * kernels), or dequantized four rows at a time against the float input (float_acts = 1:
 * prompts, many rows per weight). Either way a row's result does not depend on the other rows.
 * All must have the same k. Returns 0, or -1 (bad type/shape, no memory). */
int sg_linear_group(const SgLinear *lins, int count, const float *x, int64_t M, float *const *outs,
                    int float_acts, int n_threads);

/* The body of a parallel loop: iterations [begin, end) on thread `thread` (0..n_threads-1). */
typedef void (*sg_task_fn)(void *ctx, int64_t begin, int64_t end, int thread);

/* fn over iterations 0..count-1 in chunks of `chunk`, on up to n_threads threads of the
 * kernels' pool (pool.c), the caller included; returns when every chunk is done. */
void sg_parallel_for(int64_t count, int64_t chunk, int n_threads, sg_task_fn fn, void *ctx);

/* Bytes of one K-wide row stored as `qtype`, or -1 for an unknown type or a K that does not
 * fill whole blocks. */
int64_t sg_row_bytes(int qtype, int64_t K);

/* Attention's two halves over n cached rows of width D, vectorized where the CPU allows:
 * scores[s] = scale * dot(q, keys[s]), and out (D) = sum_s w[s] * values[s]. */
void sg_scores_f32(const float *q, const float *keys, int64_t n, int64_t D, float scale,
                   float *scores);
void sg_mix_f32(const float *w, const float *values, int64_t n, int64_t D, float *out);

/* Weight rows back to float32 (rows, K). */
int sg_dequantize(int qtype, const uint8_t *w, int64_t rows, int64_t K, float *out);
#endif
