/* Matrix products with weights kept in their `.sou` (ggml) block layouts.
 *
 * out (M, N) = x (M, K) @ W^T, W (N, K) stored as raw blocks, read straight from the file's map.
 * Block types follow llama.cpp: each activation row is first quantized to 8-bit blocks of 32
 * (scale d = amax / 127, q = round-half-even(x * 127 / amax)), so a block's dot product is an
 * exact integer sum that AVX2 computes 32 lanes at a time; the float result is
 *   sum_b d_w[b] * d_x[b] * isum[b]            (Q8_0, and Q4_0 with q - 8)
 *   + sum_b m_w[b] * d_x[b] * sum(q_x[b])      (Q4_1's offset term)
 * ml/infer/qlinear.py's torch fallback does the same integer arithmetic, so both paths agree to
 * float rounding and pick the same greedy tokens. F16/BF16 weights meet float32 activations
 * directly (converted in registers, accumulated with FMA).
 *
 * Work is split over output rows (each thread streams its own slice of W once); every weight
 * row meets all M activation rows while it is in L1, so prefill reads W once as well.
 * The AVX2 kernels are compiled per function (target attribute) and picked at run time, so the
 * library loads on any x86-64 or ARM machine and falls back to portable C there; where the CPU
 * has VNNI (AVX-VNNI or AVX512-VNNI), instantiations that form each block's integer sums with
 * vpdpbusd run instead (sg_simd_use).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sg.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define SG_X86 1
#endif

/* ---- portable scalar code ---------------------------------------------------------------- */

static float bf16_to_fp32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static uint16_t load_u16(const uint8_t *p) {
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

static int64_t block_bytes(int qtype) {
    return qtype == QT_Q8_0 ? 34 : qtype == QT_Q4_0 ? 18 : qtype == QT_Q4_1 ? 20 : 0;
}

/* One activation row -> int8 blocks q, scales d and (for Q4_1) s = d * sum(q). */
static void quantize_row_scalar(const float *x, int64_t K, int8_t *q, float *d, float *s) {
    for (int64_t b = 0; b < K / QK; b++) {
        const float *xb = x + b * QK;
        float amax = 0.0f;
        for (int j = 0; j < QK; j++) amax = fmaxf(amax, fabsf(xb[j]));
        float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        int sum = 0;
        for (int j = 0; j < QK; j++) {
            int v = (int)nearbyintf(xb[j] * id);
            q[b * QK + j] = (int8_t)v;
            sum += v;
        }
        d[b] = amax / 127.0f;
        s[b] = d[b] * (float)sum;
    }
}

static float dot_scalar(int qtype, const uint8_t *w, int64_t K, const float *x, const int8_t *xq,
                        const float *xd, const float *xs) {
    float acc = 0.0f;
    if (qtype == QT_F32) {
        const float *wf = (const float *)w;
        for (int64_t k = 0; k < K; k++) acc += wf[k] * x[k];
        return acc;
    }
    if (qtype == QT_F16 || qtype == QT_BF16) {
        for (int64_t k = 0; k < K; k++) {
            uint16_t h = load_u16(w + 2 * k);
            acc += (qtype == QT_F16 ? sg_fp16_to_fp32(h) : bf16_to_fp32(h)) * x[k];
        }
        return acc;
    }
    const int64_t bytes = block_bytes(qtype);
    float offset = 0.0f;
    for (int64_t b = 0; b < K / QK; b++) {
        const uint8_t *blk = w + b * bytes;
        const int8_t *qx = xq + b * QK;
        int isum = 0;
        if (qtype == QT_Q8_0) {
            for (int j = 0; j < QK; j++) isum += (int8_t)blk[2 + j] * qx[j];
        } else {
            const uint8_t *nib = blk + (qtype == QT_Q4_0 ? 2 : 4);
            int zero = qtype == QT_Q4_0 ? 8 : 0;
            for (int j = 0; j < QK / 2; j++) {
                isum += ((nib[j] & 0x0f) - zero) * qx[j] + ((nib[j] >> 4) - zero) * qx[j + QK / 2];
            }
        }
        acc += sg_fp16_to_fp32(load_u16(blk)) * xd[b] * (float)isum;
        if (qtype == QT_Q4_1) offset += sg_fp16_to_fp32(load_u16(blk + 2)) * xs[b];
    }
    return acc + offset;
}

/* ---- AVX2 + FMA + F16C ------------------------------------------------------------------- */

#ifdef SG_X86
#define SG_AVX2 __attribute__((target("avx2,fma,f16c")))
#ifndef PREFETCH_GROUPS
#define PREFETCH_GROUPS 2
#endif

SG_AVX2 static inline float hsum8(__m256 v) {
    __m128 r = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    r = _mm_add_ps(r, _mm_movehl_ps(r, r));
    r = _mm_add_ss(r, _mm_movehdup_ps(r));
    return _mm_cvtss_f32(r);
}

SG_AVX2 static inline float f16(const uint8_t *p) {
    return _cvtsh_ss(load_u16(p));
}

/* 16 bytes of nibbles -> 32 bytes 0..15: low nibbles (weights 0..15) then high (16..31). */
SG_AVX2 static inline __m256i unpack_nibbles(const uint8_t *p) {
    __m128i tmp = _mm_loadu_si128((const __m128i *)p);
    __m256i both = _mm256_insertf128_si256(_mm256_castsi128_si256(tmp), _mm_srli_epi16(tmp, 4), 1);
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0f));
}

SG_AVX2 static void quantize_row_avx2(const float *x, int64_t K, int8_t *q, float *d, float *s) {
    const __m256 sign_mask = _mm256_set1_ps(-0.0f);
    for (int64_t b = 0; b < K / QK; b++) {
        const float *xb = x + b * QK;
        __m256 v[4], m = _mm256_setzero_ps();
        for (int i = 0; i < 4; i++) {
            v[i] = _mm256_loadu_ps(xb + 8 * i);
            m = _mm256_max_ps(m, _mm256_andnot_ps(sign_mask, v[i]));
        }
        __m128 r = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        r = _mm_max_ps(r, _mm_movehl_ps(r, r));
        r = _mm_max_ss(r, _mm_movehdup_ps(r));
        float amax = _mm_cvtss_f32(r);
        float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        __m256 vid = _mm256_set1_ps(id);
        __m256i iv[4];
        for (int i = 0; i < 4; i++) {
            iv[i] = _mm256_cvtps_epi32(
                _mm256_round_ps(_mm256_mul_ps(v[i], vid), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        }
        __m256i sum = _mm256_add_epi32(_mm256_add_epi32(iv[0], iv[1]), _mm256_add_epi32(iv[2], iv[3]));
        __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
        s4 = _mm_hadd_epi32(s4, s4);
        s4 = _mm_hadd_epi32(s4, s4);
        /* int32 -> int16 -> int8 packs interleave 128-bit lanes; the permute restores order. */
        __m256i p16a = _mm256_packs_epi32(iv[0], iv[1]);
        __m256i p16b = _mm256_packs_epi32(iv[2], iv[3]);
        __m256i p8 = _mm256_packs_epi16(p16a, p16b);
        p8 = _mm256_permutevar8x32_epi32(p8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)(q + b * QK), p8);
        d[b] = amax / 127.0f;
        s[b] = d[b] * (float)_mm_cvtsi128_si32(s4);
    }
}

/* A tile of dot products: `rows` (1..4) consecutive weight rows against `mt` (1..2) quantized
 * activation rows (xq_stride bytes and xs_stride blocks apart). Each weight block is loaded
 * and unpacked once per tile and met by every activation row while in registers, which is
 * what makes a decode step for several sequences cost little more than for one. Inlined with
 * constant qtype, rows and mt, so each caller below is a specialised loop. The arithmetic per
 * (row, activation row) is the same whatever the tile, so a sequence gets the same logits alone
 * or batched. Q8_0 uses maddubs(|w|, sign(x, w)); Q4_0 takes the nibbles unsigned and adds
 * -8 * d_w * s_x per block: d_w * d_x * (sum(q * q_x) - 8 * sum(q_x)). With `vnni` (1: VEX,
 * 2: EVEX) one vpdpbusd forms each lane's sum of four byte products that maddubs + madd took
 * two instructions for: the same integers in the same lanes, so the same floats. */
SG_AVX2 static inline __attribute__((always_inline)) void dot_tile_avx2(
    const int qtype, const int vnni, const int rows, const int mt, const uint8_t *w,
    int64_t row_bytes, int64_t nb,
    const int8_t *xq, int64_t xq_stride, const float *xd, const float *xs, int64_t xs_stride,
    float *out) {
    const int64_t bytes = qtype == QT_Q8_0 ? 34 : qtype == QT_Q4_0 ? 18 : 20;
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc[4][2];
    float offset[4][2] = {{0.0f, 0.0f}, {0.0f, 0.0f}, {0.0f, 0.0f}, {0.0f, 0.0f}};
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < mt; j++) acc[r][j] = _mm256_setzero_ps();
    /* The rows just below these come next: pull them in while this tile computes, so the
     * weight stream overlaps the arithmetic instead of stalling on each cache miss. */
    const uint8_t *next = w + (int64_t)PREFETCH_GROUPS * rows * row_bytes;
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *ahead = next + b * rows * bytes;
        for (int64_t line = 0; line < rows * bytes; line += 64)
            _mm_prefetch((const char *)ahead + line, _MM_HINT_T0);
        __m256i qx[2];
        __m256 dx[2];
        for (int j = 0; j < mt; j++) {
            qx[j] = _mm256_loadu_si256((const __m256i *)(xq + j * xq_stride + b * QK));
            dx[j] = _mm256_set1_ps(xd[j * xs_stride + b]);
        }
        for (int r = 0; r < rows; r++) {
            const uint8_t *blk = w + r * row_bytes + b * bytes;
            const float dw = f16(blk);
            const __m256 dwv = _mm256_set1_ps(dw);
            __m256i wv = qtype == QT_Q8_0 ? _mm256_loadu_si256((const __m256i *)(blk + 2))
                                         : unpack_nibbles(blk + (qtype == QT_Q4_0 ? 2 : 4));
            const __m256i aw = qtype == QT_Q8_0 ? _mm256_sign_epi8(wv, wv) : wv;
            const float mw = qtype == QT_Q4_1 ? f16(blk + 2) : 0.0f;
            for (int j = 0; j < mt; j++) {
                const __m256i sx = qtype == QT_Q8_0 ? _mm256_sign_epi8(qx[j], wv) : qx[j];
                const __m256i isum = vnni ? sg_dpbusd(_mm256_setzero_si256(), aw, sx, vnni)
                                          : _mm256_madd_epi16(_mm256_maddubs_epi16(aw, sx), ones);
                acc[r][j] = _mm256_fmadd_ps(_mm256_mul_ps(dwv, dx[j]), _mm256_cvtepi32_ps(isum),
                                            acc[r][j]);
                if (qtype == QT_Q4_0) offset[r][j] += -8.0f * dw * xs[j * xs_stride + b];
                if (qtype == QT_Q4_1) offset[r][j] += mw * xs[j * xs_stride + b];
            }
        }
    }
    for (int j = 0; j < mt; j++)
        for (int r = 0; r < rows; r++) out[j * 4 + r] = hsum8(acc[r][j]) + offset[r][j];
}

typedef void (*dot_tile_fn)(const uint8_t *, int64_t, int64_t, const int8_t *, int64_t,
                            const float *, const float *, int64_t, float *);

#define SG_DOT_TILE(NAME, QTYPE, VNNI, ROWS, MT)                                                \
    SG_AVX2 static void NAME(const uint8_t *w, int64_t row_bytes, int64_t nb, const int8_t *xq, \
                             int64_t xq_stride, const float *xd, const float *xs,              \
                             int64_t xs_stride, float *out) {                                  \
        dot_tile_avx2(QTYPE, VNNI, ROWS, MT, w, row_bytes, nb, xq, xq_stride, xd, xs,          \
                      xs_stride, out);                                                         \
    }
#define SG_DOT_TILES_VNNI(Q, QTYPE, V)                                                          \
    SG_DOT_TILE(tile4x1_##Q##_##V, QTYPE, V, 4, 1)                                              \
    SG_DOT_TILE(tile4x2_##Q##_##V, QTYPE, V, 4, 2)                                              \
    SG_DOT_TILE(tile1x1_##Q##_##V, QTYPE, V, 1, 1)                                              \
    SG_DOT_TILE(tile1x2_##Q##_##V, QTYPE, V, 1, 2)
/* tiles_Q[vnni][rows == 4][mt - 1] */
#define SG_DOT_TILES(Q, QTYPE)                                                                  \
    SG_DOT_TILES_VNNI(Q, QTYPE, 0)                                                              \
    SG_DOT_TILES_VNNI(Q, QTYPE, 1)                                                              \
    SG_DOT_TILES_VNNI(Q, QTYPE, 2)                                                              \
    static const dot_tile_fn tiles_##Q[3][2][2] = {                                             \
        {{tile1x1_##Q##_0, tile1x2_##Q##_0}, {tile4x1_##Q##_0, tile4x2_##Q##_0}},               \
        {{tile1x1_##Q##_1, tile1x2_##Q##_1}, {tile4x1_##Q##_1, tile4x2_##Q##_1}},               \
        {{tile1x1_##Q##_2, tile1x2_##Q##_2}, {tile4x1_##Q##_2, tile4x2_##Q##_2}}};
SG_DOT_TILES(q8_0, QT_Q8_0)
SG_DOT_TILES(q4_0, QT_Q4_0)
SG_DOT_TILES(q4_1, QT_Q4_1)

SG_AVX2 static float dot_f16_avx2(int qtype, const uint8_t *w, int64_t K, const float *x) {
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    int64_t k = 0;
    for (; k + 32 <= K; k += 32) {
        for (int i = 0; i < 4; i++) {
            __m128i h = _mm_loadu_si128((const __m128i *)(w + 2 * (k + 8 * i)));
            __m256 wf = qtype == QT_F16
                ? _mm256_cvtph_ps(h)
                : _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
            acc[i] = _mm256_fmadd_ps(wf, _mm256_loadu_ps(x + k + 8 * i), acc[i]);
        }
    }
    float total = hsum8(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
    for (; k < K; k++) {
        uint16_t h = load_u16(w + 2 * k);
        total += (qtype == QT_F16 ? _cvtsh_ss(h) : bf16_to_fp32(h)) * x[k];
    }
    return total;
}

SG_AVX2 static float dot_f32_avx2(const float *w, int64_t K, const float *x) {
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    int64_t k = 0;
    for (; k + 32 <= K; k += 32) {
        for (int i = 0; i < 4; i++) {
            acc[i] = _mm256_fmadd_ps(_mm256_loadu_ps(w + k + 8 * i), _mm256_loadu_ps(x + k + 8 * i), acc[i]);
        }
    }
    float total = hsum8(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
    for (; k < K; k++) total += w[k] * x[k];
    return total;
}

/* A float tile for prompt-sized batches: `rows` (1..4) dequantized weight rows (wf, K floats
 * apart) against `mt` (1..2) float activation rows (x, K apart), eight lanes per step with one
 * accumulator per pair, so a pair's sum does not depend on the tile around it. K % 8 == 0. */
SG_AVX2 static inline __attribute__((always_inline)) void float_tile_avx2(
    const int rows, const int mt, const float *wf, int64_t K, const float *x, float *out) {
    __m256 acc[4][2];
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < mt; j++) acc[r][j] = _mm256_setzero_ps();
    for (int64_t k = 0; k < K; k += 8) {
        __m256 xv[2];
        for (int j = 0; j < mt; j++) xv[j] = _mm256_loadu_ps(x + j * K + k);
        for (int r = 0; r < rows; r++) {
            const __m256 wv = _mm256_loadu_ps(wf + r * K + k);
            for (int j = 0; j < mt; j++) acc[r][j] = _mm256_fmadd_ps(wv, xv[j], acc[r][j]);
        }
    }
    for (int j = 0; j < mt; j++)
        for (int r = 0; r < rows; r++) out[j * 4 + r] = hsum8(acc[r][j]);
}

#define SG_FLOAT_TILE(ROWS, MT)                                                                 \
    SG_AVX2 static void float_tile##ROWS##x##MT(const float *wf, int64_t K, const float *x,    \
                                                float *out) {                                  \
        float_tile_avx2(ROWS, MT, wf, K, x, out);                                              \
    }
SG_FLOAT_TILE(4, 1)
SG_FLOAT_TILE(4, 2)
SG_FLOAT_TILE(1, 1)
SG_FLOAT_TILE(1, 2)
typedef void (*float_tile_fn)(const float *, int64_t, const float *, float *);
static const float_tile_fn float_tiles[2][2] = {{float_tile1x1, float_tile1x2},
                                                {float_tile4x1, float_tile4x2}};

/* scores[s] = scale * dot(q, keys[s]) for n key rows of width D (D % 8 == 0). */
SG_AVX2 static void scores_f32_avx2(const float *q, const float *keys, int64_t n, int64_t D,
                                    float scale, float *scores) {
    for (int64_t s = 0; s < n; s++) {
        const float *k = keys + s * D;
        __m256 a = _mm256_setzero_ps(), b = _mm256_setzero_ps();
        int64_t i = 0;
        for (; i + 16 <= D; i += 16) {
            a = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(k + i), a);
            b = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), _mm256_loadu_ps(k + i + 8), b);
        }
        if (i < D) a = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(k + i), a);
        scores[s] = hsum8(_mm256_add_ps(a, b)) * scale;
    }
}

/* out (D) = sum_s w[s] * values[s] over n value rows of width D (D % 8 == 0). */
SG_AVX2 static void mix_f32_avx2(const float *w, const float *values, int64_t n, int64_t D,
                                 float *out) {
    for (int64_t i = 0; i < D; i += 32) {  /* 32 lanes of out stay in registers */
        const int lanes = D - i >= 32 ? 4 : (int)((D - i) / 8);
        __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                         _mm256_setzero_ps()};
        for (int64_t s = 0; s < n; s++) {
            const __m256 ws = _mm256_set1_ps(w[s]);
            const float *v = values + s * D + i;
            for (int l = 0; l < lanes; l++)
                acc[l] = _mm256_fmadd_ps(ws, _mm256_loadu_ps(v + 8 * l), acc[l]);
        }
        for (int l = 0; l < lanes; l++) _mm256_storeu_ps(out + i + 8 * l, acc[l]);
    }
}

/* Whether this CPU runs the kernels of SIMD `level`. */
static int cpu_supports(int level) {
    __builtin_cpu_init();
    const int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                     __builtin_cpu_supports("f16c");
    switch (level) {
    case SG_SIMD_PORTABLE: return 1;
    case SG_SIMD_AVX2: return avx2;
    case SG_SIMD_AVXVNNI: return avx2 && __builtin_cpu_supports("avxvnni");
    case SG_SIMD_AVX512VNNI:
        return avx2 && __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl");
    default: return 0;
    }
}
#else
static int cpu_supports(int level) { return level == SG_SIMD_PORTABLE; }
#endif

/* ---- entry points ------------------------------------------------------------------------ */

static int use_simd = -1;  /* -1: not decided yet; else the SG_SIMD_* level in use */

/* Use SIMD `level` (SG_SIMD_*), or with -1 the best this CPU runs (VEX before EVEX: the same
 * work, and AVX-VNNI-only CPUs exist); returns the level now in use, or -1 (nothing changed)
 * when the CPU lacks `level`. Tests pin each level in turn. */
int sg_simd_use(int level) {
    if (level < 0) {
        static const int best_first[] = {SG_SIMD_AVXVNNI, SG_SIMD_AVX512VNNI, SG_SIMD_AVX2};
        use_simd = SG_SIMD_PORTABLE;
        for (int i = 0; i < 3 && use_simd == SG_SIMD_PORTABLE; i++)
            if (cpu_supports(best_first[i])) use_simd = best_first[i];
        return use_simd;
    }
    if (!cpu_supports(level)) return -1;
    use_simd = level;
    return use_simd;
}

static void quantize_row(const float *x, int64_t K, int8_t *q, float *d, float *s) {
#ifdef SG_X86
    if (use_simd) { quantize_row_avx2(x, K, q, d, s); return; }
#endif
    quantize_row_scalar(x, K, q, d, s);
}

/* out[j * 4 + r] = dot(weight row r, activation row j) for r < rows (1..4), j < mt (1..2);
 * weight rows are row_bytes apart, activation rows K floats (and K quantized values) apart. */
static void dot_rows(int qtype, int rows, int mt, const uint8_t *w, int64_t row_bytes, int64_t K,
                     const float *x, const int8_t *xq, const float *xd, const float *xs, float *out) {
    const int64_t nb = K / QK;
#ifdef SG_X86
    if (use_simd && (qtype == QT_Q8_0 || qtype == QT_Q4_0 || qtype == QT_Q4_1)) {
        const dot_tile_fn(*tiles)[2] = (qtype == QT_Q8_0   ? tiles_q8_0
                                        : qtype == QT_Q4_0 ? tiles_q4_0
                                                           : tiles_q4_1)[use_simd - SG_SIMD_AVX2];
        if (rows == 4) {
            tiles[1][mt - 1](w, row_bytes, nb, xq, K, xd, xs, nb, out);
        } else {
            float y[8];
            for (int r = 0; r < rows; r++) {
                tiles[0][mt - 1](w + r * row_bytes, row_bytes, nb, xq, K, xd, xs, nb, y);
                for (int j = 0; j < mt; j++) out[j * 4 + r] = y[j * 4];
            }
        }
        return;
    }
#endif
    for (int j = 0; j < mt; j++) {
        const float *xj = x + j * K;
        for (int r = 0; r < rows; r++) {
#ifdef SG_X86
            if (use_simd && qtype == QT_F32) {
                out[j * 4 + r] = dot_f32_avx2((const float *)(w + r * row_bytes), K, xj);
                continue;
            }
            if (use_simd && (qtype == QT_F16 || qtype == QT_BF16)) {
                out[j * 4 + r] = dot_f16_avx2(qtype, w + r * row_bytes, K, xj);
                continue;
            }
#endif
            out[j * 4 + r] = dot_scalar(qtype, w + r * row_bytes, K, xj, xq ? xq + j * K : NULL,
                                        xq ? xd + j * nb : NULL, xq ? xs + j * nb : NULL);
        }
    }
}

/* out[j * 4 + r] as dot_rows, from weight rows already dequantized to wf (rows, K). */
static void float_rows(int rows, int mt, const float *wf, int64_t K, const float *x, float *out) {
#ifdef SG_X86
    if (use_simd && K % 8 == 0) {
        if (rows == 4) {
            float_tiles[1][mt - 1](wf, K, x, out);
        } else {
            float y[8];
            for (int r = 0; r < rows; r++) {
                float_tiles[0][mt - 1](wf + r * K, K, x, y);
                for (int j = 0; j < mt; j++) out[j * 4 + r] = y[j * 4];
            }
        }
        return;
    }
#endif
    for (int j = 0; j < mt; j++)
        for (int r = 0; r < rows; r++) {
            float acc = 0.0f;
            for (int64_t k = 0; k < K; k++) acc += wf[r * K + k] * x[j * K + k];
            out[j * 4 + r] = acc;
        }
}

void sg_scores_f32(const float *q, const float *keys, int64_t n, int64_t D, float scale,
                   float *scores) {
    if (use_simd < 0) sg_simd_use(-1);
#ifdef SG_X86
    if (use_simd && D % 8 == 0) { scores_f32_avx2(q, keys, n, D, scale, scores); return; }
#endif
    for (int64_t s = 0; s < n; s++) {
        float acc = 0.0f;
        for (int64_t i = 0; i < D; i++) acc += q[i] * keys[s * D + i];
        scores[s] = acc * scale;
    }
}

void sg_mix_f32(const float *w, const float *values, int64_t n, int64_t D, float *out) {
    if (use_simd < 0) sg_simd_use(-1);
#ifdef SG_X86
    if (use_simd && D % 8 == 0) { mix_f32_avx2(w, values, n, D, out); return; }
#endif
    for (int64_t i = 0; i < D; i++) out[i] = 0.0f;
    for (int64_t s = 0; s < n; s++)
        for (int64_t i = 0; i < D; i++) out[i] += w[s] * values[s * D + i];
}

/* Weight rows back to float32 (rows, K), for prefill-sized batches that go to a GEMM. Each value
 * is d * q then + m, rounded separately (ISO C does not fuse them), exactly as ml.sou.quant's
 * dequantize computes it; GCC vectorizes the loops and the clones pick AVX2 when present. */
#ifdef SG_X86
__attribute__((target_clones("avx2", "default")))
#endif
int sg_dequantize(int qtype, const uint8_t *w, int64_t rows, int64_t K, float *out) {
    int64_t n = rows * K;
    if (qtype == QT_F16 || qtype == QT_BF16) {
        for (int64_t i = 0; i < n; i++) {
            uint16_t h = load_u16(w + 2 * i);
            out[i] = qtype == QT_F16 ? sg_fp16_to_fp32(h) : bf16_to_fp32(h);
        }
        return 0;
    }
    if (sg_kq_block_bytes(qtype)) {
        if (K % QK_K) return -1;
        sg_kq_dequantize(qtype, w, n / QK_K, out);
        return 0;
    }
    if (!block_bytes(qtype) || K % QK) return -1;
    for (int64_t b = 0; b < n / QK; b++) {
        const uint8_t *blk = w + b * block_bytes(qtype);
        float d = sg_fp16_to_fp32(load_u16(blk)), *o = out + b * QK;
        if (qtype == QT_Q8_0) {
            for (int j = 0; j < QK; j++) o[j] = d * (float)(int8_t)blk[2 + j];
        } else if (qtype == QT_Q4_0) {
            for (int j = 0; j < QK / 2; j++) {
                o[j] = d * (float)((blk[2 + j] & 0x0f) - 8);
                o[j + QK / 2] = d * (float)((blk[2 + j] >> 4) - 8);
            }
        } else {
            float m = sg_fp16_to_fp32(load_u16(blk + 2));
            for (int j = 0; j < QK / 2; j++) {
                o[j] = d * (float)(blk[4 + j] & 0x0f) + m;
                o[j + QK / 2] = d * (float)(blk[4 + j] >> 4) + m;
            }
        }
    }
    return 0;
}

/* Quantize M activation rows (exported so tests can compare with the torch fallback). */
void sg_quantize_rows(const float *x, int64_t M, int64_t K, int8_t *q, float *d, float *s) {
    if (use_simd < 0) sg_simd_use(-1);
    for (int64_t m = 0; m < M; m++) quantize_row(x + m * K, K, q + m * K, d + m * (K / QK), s + m * (K / QK));
}

int64_t sg_row_bytes(int qtype, int64_t K) {
    if (qtype == QT_F32) return 4 * K;
    if (qtype == QT_F16 || qtype == QT_BF16) return 2 * K;
    if (block_bytes(qtype) && K % QK == 0) return K / QK * block_bytes(qtype);
    if (sg_kq_block_bytes(qtype) && K % QK_K == 0) return K / QK_K * sg_kq_block_bytes(qtype);
    return -1;
}

enum { MAX_GROUP = 8 };

/* One call's shared state for group_rows, the body of its parallel loop. */
typedef struct {
    const SgLinear *lins;
    int count;
    const int64_t *first, *row_bytes;
    const float *x;
    int64_t M, K, nb;
    float *const *outs;
    const int8_t *xq;
    const float *xd, *xs;
    const SgQ8K *xk;  /* (M, K / 256) activation super-blocks for K-quant weights, or NULL */
    float *wf;  /* (threads, 4, K) dequantized rows per thread, or NULL */
} GroupTask;

/* 4-row groups [begin, end) of every linear against all M input rows. */
static void group_rows(void *arg, int64_t begin, int64_t end, int thread) {
    const GroupTask *t = arg;
    const int64_t K = t->K, nb = t->nb;
    float *wf = t->wf ? t->wf + (int64_t)thread * 4 * K : NULL;
    for (int64_t g = begin; g < end; g++) {
        int i = 0;
        while (g >= t->first[i + 1]) i++;
        const SgLinear *lin = &t->lins[i];
        const int64_t n0 = 4 * (g - t->first[i]);
        const int rows = lin->n - n0 < 4 ? (int)(lin->n - n0) : 4;
        const uint8_t *w = lin->w + n0 * t->row_bytes[i];
        const int kq = sg_kq_block_bytes(lin->qtype) != 0;
        const int dense = wf && (block_bytes(lin->qtype) != 0 || kq);
        if (dense) sg_dequantize(lin->qtype, w, rows, K, wf);
        float y[8];
        for (int64_t m = 0; m < t->M; m += 2) {
            const int mt = t->M - m >= 2 ? 2 : 1;
            if (kq && !dense) {
                for (int j = 0; j < mt; j++)
                    for (int r = 0; r < rows; r++)
                        y[j * 4 + r] = sg_kq_dot(lin->qtype, w + r * t->row_bytes[i],
                                                 t->xk + (m + j) * (K / QK_K), K / QK_K, use_simd);
            } else if (dense) {
                float_rows(rows, mt, wf, K, t->x + m * K, y);
            } else {
                dot_rows(lin->qtype, rows, mt, w, t->row_bytes[i], K, t->x + m * K,
                         t->xq ? t->xq + m * K : NULL, t->xq ? t->xd + m * nb : NULL,
                         t->xq ? t->xs + m * nb : NULL, y);
            }
            for (int j = 0; j < mt; j++) {
                float *o = t->outs[i] + (m + j) * lin->n + n0;
                for (int r = 0; r < rows; r++)
                    o[r] = lin->bias ? y[j * 4 + r] + lin->bias[n0 + r] : y[j * 4 + r];
            }
        }
    }
}

int sg_linear_group(const SgLinear *lins, int count, const float *x, int64_t M, float *const *outs,
                    int float_acts, int n_threads) {
    if (use_simd < 0) sg_simd_use(-1);
    if (count < 1 || count > MAX_GROUP || M < 1) return -1;
    const int64_t K = lins[0].k;
    int64_t first[MAX_GROUP + 1] = {0}, row_bytes[MAX_GROUP], work = 0;  /* first: 4-row group index */
    int quantized = 0, kquantized = 0;
    for (int i = 0; i < count; i++) {
        row_bytes[i] = sg_row_bytes(lins[i].qtype, K);
        if (lins[i].k != K || lins[i].n < 1 || row_bytes[i] < 0) return -1;
        quantized |= block_bytes(lins[i].qtype) != 0;
        kquantized |= sg_kq_block_bytes(lins[i].qtype) != 0;
        first[i + 1] = first[i] + (lins[i].n + 3) / 4;
        work += lins[i].n * K * M;
    }
    /* Small products finish before a helper thread would pick up its share. */
    const int threads = n_threads > 1 && work >= (1 << 16) ? n_threads : 1;
    /* Float activations: each thread dequantizes a group's rows once into its own buffer and
     * meets every activation row there; otherwise the input is quantized once for all. */
    const int dequantize = (quantized || kquantized) && float_acts;
    const int64_t nb = K / QK;
    int8_t *xq = NULL;
    float *xd = NULL, *xs = NULL, *wf = NULL;
    SgQ8K *xk = NULL;
    if (dequantize) {
        wf = malloc(sizeof(float) * (size_t)(threads * 4 * K));
        if (!wf) return -1;
    } else {
        if (quantized) {
            xq = malloc((size_t)(M * K));
            xd = malloc(sizeof(float) * (size_t)(M * nb));
            xs = malloc(sizeof(float) * (size_t)(M * nb));
            if (!xq || !xd || !xs) { free(xq); free(xd); free(xs); return -1; }
            sg_quantize_rows(x, M, K, xq, xd, xs);
        }
        if (kquantized) {
            xk = malloc(sizeof(SgQ8K) * (size_t)(M * (K / QK_K)));
            if (!xk) { free(xq); free(xd); free(xs); return -1; }
            for (int64_t m = 0; m < M; m++) sg_kq_quantize_row(x + m * K, K, xk + m * (K / QK_K));
        }
    }
    GroupTask task = {lins, count, first, row_bytes, x, M, K, nb, outs, xq, xd, xs, xk, wf};
    /* Two chunks per thread for a decode step: a thread that loses its core for a while
     * holds back a quarter of the product rather than half, while each thread still streams
     * long runs of rows (eight smaller chunks cost 14% of a SmolLM2 step: prefetch streams
     * broken at every chunk, and the shared counter's cache line passed between cores at
     * every claim). Prompt rows do M times the work per weight row, so eight chunks cost
     * them nothing measurable, and beside a busy process (a web server, half a core) a
     * 47-token SmolLM2 prefill took 334 ms instead of 361. */
    const int64_t per_thread = M > 1 ? 8 : 2;
    const int64_t chunk = first[count] / (threads * per_thread) > 0 ? first[count] / (threads * per_thread) : 1;
    sg_parallel_for(first[count], chunk, threads, group_rows, &task);
    free(xq);
    free(xd);
    free(xs);
    free(xk);
    free(wf);
    return 0;
}

/* out (M, N) = x (M, K) @ W^T (+ bias (N,) unless NULL). Returns 0, or -1 for an unknown type
 * or a failed allocation. */
int sg_qmm(int qtype, const uint8_t *w, int64_t N, int64_t K, const float *x, int64_t M,
           const float *bias, float *out, int n_threads) {
    SgLinear lin = {w, bias, N, K, qtype, 0};
    return sg_linear_group(&lin, 1, x, M, &out, 0, n_threads);
}
