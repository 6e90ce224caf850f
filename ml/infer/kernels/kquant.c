/* Dot products and dequantization of ggml's K-quant blocks (Q2_K..Q6_K: super-blocks of 256
 * weights in sub-blocks of 16 or 32, each with a small integer scale, and for Q2_K/Q4_K/Q5_K
 * an integer minimum; layouts in ml/sou/kquant.py).
 *
 * A weight is d * sc[s] * q - dmin * mn[s] (q unsigned, or signed with an offset), so against an
 * activation block quantized to 8 bits (SgQ8K: d_x, q_x[256], and the sums of q_x over each 16)
 * a super-block's dot product is
 *   d * d_x * sum_s sc[s] * sum(q * q_x) - dmin * d_x * sum_s mn[s] * sum(q_x over s)
 * with both sums exact integers. Signed levels are taken unsigned (u = q + offset, which
 * maddubs needs) and the offset is paid back from the same block sums: sum(q * q_x) =
 * sum(u * q_x) - offset * sum(q_x). ml/infer/qlinear.py's torch fallback does this arithmetic
 * too, so both paths agree to float rounding.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "sg.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define SG_X86 1
#endif

static float half(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13);
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    } else if (man == 0) {
        bits = sign;
    } else {
        int shift = 0;
        while (!(man & 0x400)) { man <<= 1; shift++; }
        bits = sign | ((uint32_t)(113 - shift) << 23) | ((man & 0x3ff) << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

int64_t sg_kq_block_bytes(int qtype) {
    switch (qtype) {
    case QT_Q2_K: return 84;
    case QT_Q3_K: return 110;
    case QT_Q4_K: return 144;
    case QT_Q5_K: return 176;
    case QT_Q6_K: return 210;
    default: return 0;
    }
}

void sg_kq_quantize_row(const float *x, int64_t K, SgQ8K *out) {
    for (int64_t b = 0; b < K / QK_K; b++) {
        const float *xb = x + b * QK_K;
        SgQ8K *y = out + b;
        float amax = 0.0f;
        for (int j = 0; j < QK_K; j++) amax = fmaxf(amax, fabsf(xb[j]));
        const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        for (int j = 0; j < QK_K; j++) y->q[j] = (int8_t)nearbyintf(xb[j] * id);
        for (int s = 0; s < QK_K / 16; s++) {
            int sum = 0;
            for (int j = 0; j < 16; j++) sum += y->q[16 * s + j];
            y->bsums[s] = (int16_t)sum;
        }
        y->d = amax / 127.0f;
    }
}

/* ---- the integer parts of one super-block, shared by both paths ------------------------ */

/* Q4_K/Q5_K's 12 bytes -> 8 six-bit scales and mins. */
static void scales_k4(const uint8_t *s, uint8_t sc[8], uint8_t mn[8]) {
    for (int j = 0; j < 4; j++) {
        sc[j] = s[j] & 63;
        mn[j] = s[j + 4] & 63;
        sc[j + 4] = (s[j + 8] & 0x0f) | ((s[j] >> 6) << 4);
        mn[j + 4] = (s[j + 8] >> 4) | ((s[j + 4] >> 6) << 4);
    }
}

/* Q3_K's 12 bytes -> 16 signed six-bit scales. */
static void scales_q3(const uint8_t *s, int8_t sc[16]) {
    for (int i = 0; i < 16; i++) {
        const int low = i < 8 ? s[i] & 0x0f : s[i - 8] >> 4;
        const int high = (s[8 + i % 4] >> (2 * (i / 4))) & 3;
        sc[i] = (int8_t)((low | (high << 4)) - 32);
    }
}

/* Unsigned level u of weight e (0..255) in a block, with q = u - offset(qtype). */
static int level(int qtype, const uint8_t *b, int e) {
    const int half_ = e / 128, seg = (e % 128) / 32, l = e % 32;
    switch (qtype) {
    case QT_Q2_K: return (b[16 + 32 * half_ + l] >> (2 * seg)) & 3;
    case QT_Q3_K:
        return ((b[32 + 32 * half_ + l] >> (2 * seg)) & 3) | (((b[l] >> (4 * half_ + seg)) & 1) << 2);
    case QT_Q4_K: return (b[16 + 32 * (e / 64) + l] >> (4 * ((e / 32) % 2))) & 0x0f;
    case QT_Q5_K:
        return ((b[48 + 32 * (e / 64) + l] >> (4 * ((e / 32) % 2))) & 0x0f) |
               (((b[16 + l] >> (e / 32)) & 1) << 4);
    default: { /* Q6_K */
        const uint8_t *ql = b + 64 * half_, *qh = b + 128 + 32 * half_;
        const int low = (ql[l + 32 * (seg % 2)] >> (4 * (seg / 2))) & 0x0f;
        return low | (((qh[l] >> (2 * seg)) & 3) << 4);
    }
    }
}

/* Per sub-block integer scale sc and minimum mn (0 where a type has none), sub-block length,
 * the level offset, and the block's d and dmin. */
typedef struct {
    int sub, offset, has_min;
    int sc[16], mn[16];
    float d, dmin;
} BlockParts;

static void block_parts(int qtype, const uint8_t *b, BlockParts *p) {
    memset(p, 0, sizeof(*p));
    if (qtype == QT_Q4_K || qtype == QT_Q5_K) {
        uint8_t sc[8], mn[8];
        scales_k4(b + 4, sc, mn);
        for (int s = 0; s < 8; s++) { p->sc[s] = sc[s]; p->mn[s] = mn[s]; }
        p->sub = 32, p->has_min = 1;
        p->d = half(b);
        p->dmin = half(b + 2);
    } else if (qtype == QT_Q2_K) {
        for (int s = 0; s < 16; s++) { p->sc[s] = b[s] & 0x0f; p->mn[s] = b[s] >> 4; }
        p->sub = 16, p->has_min = 1;
        p->d = half(b + 80);
        p->dmin = half(b + 82);
    } else if (qtype == QT_Q3_K) {
        int8_t sc[16];
        scales_q3(b + 96, sc);
        for (int s = 0; s < 16; s++) p->sc[s] = sc[s];
        p->sub = 16, p->offset = 4;
        p->d = half(b + 108);
    } else { /* Q6_K */
        for (int s = 0; s < 16; s++) p->sc[s] = (int8_t)b[192 + s];
        p->sub = 16, p->offset = 32;
        p->d = half(b + 208);
    }
}

/* The block's integer sums from isub[s] = sum(u * q_x) over sub-block s: *isum = sum_s sc[s] *
 * sum(q * q_x) (the offset paid back), *msum = sum_s mn[s] * sum(q_x over s). */
static void block_sums(const BlockParts *p, const int *isub, const SgQ8K *x, int64_t *isum,
                       int64_t *msum) {
    int64_t is = 0, ms = 0;
    const int per = p->sub / 16;
    for (int s = 0; s < QK_K / p->sub; s++) {
        int xs = 0;
        for (int i = 0; i < per; i++) xs += x->bsums[s * per + i];
        is += (int64_t)p->sc[s] * (isub[s] - p->offset * xs);
        ms += (int64_t)p->mn[s] * xs;
    }
    *isum = is;
    *msum = ms;
}

static float dot_scalar(int qtype, const uint8_t *w, const SgQ8K *x, int64_t nb) {
    const int64_t bytes = sg_kq_block_bytes(qtype);
    float acc = 0.0f;
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *blk = w + b * bytes;
        BlockParts p;
        block_parts(qtype, blk, &p);
        int isub[16] = {0};
        for (int e = 0; e < QK_K; e++) isub[e / p.sub] += level(qtype, blk, e) * x[b].q[e];
        int64_t isum, msum;
        block_sums(&p, isub, &x[b], &isum, &msum);
        acc += p.d * x[b].d * (float)isum - p.dmin * x[b].d * (float)msum;
    }
    return acc;
}

/* ---- AVX2 -------------------------------------------------------------------------------- */

#ifdef SG_X86
#define SG_AVX2 __attribute__((target("avx2,fma,f16c")))

SG_AVX2 static inline float hsum8(__m256 v) {
    __m128 r = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    r = _mm_add_ps(r, _mm_movehl_ps(r, r));
    r = _mm_add_ss(r, _mm_movehdup_ps(r));
    return _mm_cvtss_f32(r);
}

/* int16 scales: the low 128-bit lane a, the high b (sub-blocks of 16 split a 32-byte row). */
SG_AVX2 static inline __m256i pair16(int a, int b) {
    return _mm256_setr_m128i(_mm_set1_epi16((short)a), _mm_set1_epi16((short)b));
}

/* maddubs of unsigned levels u (32 bytes, 0..63) with 32 activations, times per-lane scales:
 * eight int32 partial sums. |u * q_x| pairs stay under int16's range for every type. */
SG_AVX2 static inline __m256i scaled(__m256i u, const int8_t *xq, __m256i scale) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, _mm256_loadu_si256((const __m256i *)xq)), scale);
}

SG_AVX2 static inline __m256i bits_at(__m256i v, int shift, int mask) {
    return _mm256_and_si256(_mm256_srl_epi16(v, _mm_cvtsi32_si128(shift)), _mm256_set1_epi8((char)mask));
}

/* sum_s sc[s] * sum(u * q_x) over one block, as eight int32 lanes. */
SG_AVX2 static __m256i block_isum_avx2(int qtype, const uint8_t *b, const BlockParts *p,
                                       const int8_t *xq) {
    __m256i sum = _mm256_setzero_si256();
    if (qtype == QT_Q4_K || qtype == QT_Q5_K) {
        const uint8_t *qs = b + (qtype == QT_Q4_K ? 16 : 48);
        __m256i high = _mm256_loadu_si256((const __m256i *)(b + 16));
        for (int pair = 0; pair < 4; pair++) {
            const __m256i bits = _mm256_loadu_si256((const __m256i *)(qs + 32 * pair));
            __m256i lo = bits_at(bits, 0, 0x0f), hi = bits_at(bits, 4, 0x0f);
            if (qtype == QT_Q5_K) {
                lo = _mm256_or_si256(lo, _mm256_slli_epi16(bits_at(high, 2 * pair, 1), 4));
                hi = _mm256_or_si256(hi, _mm256_slli_epi16(bits_at(high, 2 * pair + 1, 1), 4));
            }
            sum = _mm256_add_epi32(sum, scaled(lo, xq + 64 * pair, _mm256_set1_epi16((short)p->sc[2 * pair])));
            sum = _mm256_add_epi32(sum, scaled(hi, xq + 64 * pair + 32, _mm256_set1_epi16((short)p->sc[2 * pair + 1])));
        }
        return sum;
    }
    const __m256i hmask = _mm256_loadu_si256((const __m256i *)b);
    for (int h = 0; h < 2; h++) {
        if (qtype == QT_Q6_K) {
            const __m256i ql0 = _mm256_loadu_si256((const __m256i *)(b + 64 * h));
            const __m256i ql1 = _mm256_loadu_si256((const __m256i *)(b + 64 * h + 32));
            const __m256i qh = _mm256_loadu_si256((const __m256i *)(b + 128 + 32 * h));
            for (int seg = 0; seg < 4; seg++) {
                const __m256i low = bits_at(seg % 2 ? ql1 : ql0, 4 * (seg / 2), 0x0f);
                const __m256i u = _mm256_or_si256(low, _mm256_slli_epi16(bits_at(qh, 2 * seg, 3), 4));
                const int s = 8 * h + 2 * seg;
                sum = _mm256_add_epi32(sum, scaled(u, xq + 128 * h + 32 * seg, pair16(p->sc[s], p->sc[s + 1])));
            }
            continue;
        }
        const __m256i qs = _mm256_loadu_si256((const __m256i *)(b + (qtype == QT_Q2_K ? 16 : 32) + 32 * h));
        for (int seg = 0; seg < 4; seg++) {
            __m256i u = bits_at(qs, 2 * seg, 3);
            if (qtype == QT_Q3_K) u = _mm256_or_si256(u, _mm256_slli_epi16(bits_at(hmask, 4 * h + seg, 1), 2));
            const int s = 8 * h + 2 * seg;
            sum = _mm256_add_epi32(sum, scaled(u, xq + 128 * h + 32 * seg, pair16(p->sc[s], p->sc[s + 1])));
        }
    }
    return sum;
}

SG_AVX2 static float dot_avx2(int qtype, const uint8_t *w, const SgQ8K *x, int64_t nb) {
    const int64_t bytes = sg_kq_block_bytes(qtype);
    __m256 acc = _mm256_setzero_ps();
    float rest = 0.0f;
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *blk = w + b * bytes;
        _mm_prefetch((const char *)(blk + 4 * bytes), _MM_HINT_T0);
        BlockParts p;
        block_parts(qtype, blk, &p);
        const __m256i isum = block_isum_avx2(qtype, blk, &p, x[b].q);
        int64_t offset_sum, msum;
        const int zero[16] = {0};
        block_sums(&p, zero, &x[b], &offset_sum, &msum);  /* the offset and minimum terms */
        acc = _mm256_fmadd_ps(_mm256_set1_ps(p.d * x[b].d), _mm256_cvtepi32_ps(isum), acc);
        rest += p.d * x[b].d * (float)offset_sum - p.dmin * x[b].d * (float)msum;
    }
    return hsum8(acc) + rest;
}
#endif

float sg_kq_dot(int qtype, const uint8_t *w, const SgQ8K *x, int64_t nb, int simd) {
#ifdef SG_X86
    if (simd) return dot_avx2(qtype, w, x, nb);
#else
    (void)simd;
#endif
    return dot_scalar(qtype, w, x, nb);
}

/* Blocks back to float32, with gguf-py's operations in its order (ml/sou/kquant.py's
 * dequantize_k), so the weights are the same bits: dl = d * sc, ml = dmin * mn, w = dl * q - ml. */
void sg_kq_dequantize(int qtype, const uint8_t *w, int64_t nblocks, float *out) {
    const int64_t bytes = sg_kq_block_bytes(qtype);
    for (int64_t b = 0; b < nblocks; b++) {
        const uint8_t *blk = w + b * bytes;
        BlockParts p;
        block_parts(qtype, blk, &p);
        float *o = out + b * QK_K;
        for (int e = 0; e < QK_K; e++) {
            const int s = e / p.sub;
            const float dl = p.d * (float)p.sc[s];
            const float q = (float)(level(qtype, blk, e) - p.offset);
            o[e] = p.has_min ? dl * q - p.dmin * (float)p.mn[s] : dl * q;
        }
    }
}
