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
 * too, so both paths agree to float rounding. On CPUs with VNNI, Q4_K, Q5_K and Q6_K form the
 * same integer sums with vpdpbusd and vpdpwssd (scaled_pair_vnni).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "sg.h"

#if defined(__x86_64__) || defined(_M_X64)
#define SG_X86 1
#endif

static float half(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return sg_fp16_to_fp32(h);
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

/* Every decode step quantizes each product's input here. The AVX2 clone inlines nearbyintf
 * as one rounding instruction (the portable build calls libm per value); the comparison keeps
 * fmaxf's result (a NaN never becomes the maximum) without its library call. */
#ifdef SG_X86
__attribute__((target_clones("avx2", "default")))
#endif
void sg_kq_quantize_row(const float *x, int64_t K, SgQ8K *out) {
    for (int64_t b = 0; b < K / QK_K; b++) {
        const float *xb = x + b * QK_K;
        SgQ8K *y = out + b;
        float amax = 0.0f;
        for (int j = 0; j < QK_K; j++) {
            const float a = fabsf(xb[j]);
            amax = a > amax ? a : amax;
        }
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

/* Q3_K's 12 bytes -> 16 signed six-bit scales: scale i has its low four bits in byte i % 8
 * (low nibble for i < 8) and its top two in byte 8 + i % 4 at bit 2 * (i / 4); four scales
 * at a time in 32-bit words. */
static void scales_q3(const uint8_t *s, int8_t sc[16]) {
    uint64_t low;
    uint32_t high, word[4];
    memcpy(&low, s, 8);
    memcpy(&high, s + 8, 4);
    for (int k = 0; k < 4; k++) {
        const uint32_t nibbles = (uint32_t)(low >> (32 * (k % 2) + 4 * (k / 2))) & 0x0f0f0f0f;
        word[k] = nibbles | (((high >> (2 * k)) & 0x03030303) << 4);
    }
    memcpy(sc, word, 16);
    for (int i = 0; i < 16; i++) sc[i] = (int8_t)(sc[i] - 32);
}

/* A block's 256 unsigned levels u, with q = u - offset (BlockParts). */
static void block_levels(int qtype, const uint8_t *b, uint8_t u[QK_K]) {
    if (qtype == QT_Q4_K || qtype == QT_Q5_K) {
        const uint8_t *qs = b + (qtype == QT_Q4_K ? 16 : 48), *qh = b + 16;
        const int five = qtype == QT_Q5_K;
        for (int p = 0; p < 4; p++)
            for (int l = 0; l < 32; l++) {
                u[64 * p + l] = (qs[32 * p + l] & 0x0f) | (five ? ((qh[l] >> (2 * p)) & 1) << 4 : 0);
                u[64 * p + 32 + l] = (qs[32 * p + l] >> 4) | (five ? ((qh[l] >> (2 * p + 1)) & 1) << 4 : 0);
            }
        return;
    }
    for (int h = 0; h < 2; h++) {
        uint8_t *o = u + 128 * h;
        if (qtype == QT_Q6_K) {
            const uint8_t *ql = b + 64 * h, *qh = b + 128 + 32 * h;
            for (int l = 0; l < 32; l++) {
                o[l] = (ql[l] & 0x0f) | ((qh[l] & 3) << 4);
                o[32 + l] = (ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4);
                o[64 + l] = (ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4);
                o[96 + l] = (ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4);
            }
            continue;
        }
        const uint8_t *qs = b + (qtype == QT_Q2_K ? 16 : 32) + 32 * h;
        for (int seg = 0; seg < 4; seg++)
            for (int l = 0; l < 32; l++) {
                const int high = qtype == QT_Q3_K ? ((b[l] >> (4 * h + seg)) & 1) << 2 : 0;
                o[32 * seg + l] = ((qs[l] >> (2 * seg)) & 3) | high;
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
        uint8_t u[QK_K];
        block_levels(qtype, blk, u);
        int isub[16] = {0};
        for (int e = 0; e < QK_K; e++) isub[e / p.sub] += u[e] * x[b].q[e];
        int64_t isum, msum;
        block_sums(&p, isub, &x[b], &isum, &msum);
        acc += p.d * x[b].d * (float)isum - p.dmin * x[b].d * (float)msum;
    }
    return acc;
}

/* ---- AVX2 -------------------------------------------------------------------------------- */

/* One function per type, everything per block in vector registers: the levels widened to
 * unsigned bytes and met by maddubs (|u * q_x| pairs stay inside int16 for every type), each
 * sub-block's sums scaled by madd with its integer scale, and the offset and minimum terms
 * taken from the activation's block sums with one more madd. */
#ifdef SG_X86
#define SG_AVX2 __attribute__((target("avx2,fma,f16c")))
#define SG_INLINE static inline __attribute__((always_inline))

SG_AVX2 static inline float hsum8(__m256 v) {
    __m128 r = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    r = _mm_add_ps(r, _mm_movehl_ps(r, r));
    r = _mm_add_ss(r, _mm_movehdup_ps(r));
    return _mm_cvtss_f32(r);
}

SG_AVX2 static inline int hsum_i32(__m256i v) {
    __m128i r = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    r = _mm_add_epi32(r, _mm_shuffle_epi32(r, 0x4e));
    r = _mm_add_epi32(r, _mm_shuffle_epi32(r, 0xb1));
    return _mm_cvtsi128_si32(r);
}

SG_AVX2 static inline float f16c(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

SG_AVX2 static inline __m256i load32(const void *p) {
    return _mm256_loadu_si256((const __m256i *)p);
}

/* maddubs of 32 unsigned levels with 32 activations, times the int16 scales per lane. */
SG_AVX2 SG_INLINE __m256i scaled(__m256i u, const int8_t *xq, __m256i scale) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, load32(xq)), scale);
}

/* Scales a (low 16 weights) and b (high 16) as int16 lanes: sub-blocks of 16 split a row. */
SG_AVX2 SG_INLINE __m256i pair16(int16_t a, int16_t b) {
    return _mm256_setr_m128i(_mm_set1_epi16(a), _mm_set1_epi16(b));
}

/* The VNNI form of two `scaled` calls, added to sum: vpdpbusd gives each int32 lane the sum of
 * four byte products of one sub-block, at most 4 * 63 * 127 < 2^15 (Q6_K's widest levels), so
 * two registers' lanes pack into int16 exactly, and one vpdpwssd multiplies them by their
 * sub-blocks' scales (`scales`, int16 in the packed order) and adds them: 4 instructions per
 * 64 weights where maddubs, madd and add take 6. The block's integers are the same as AVX2's;
 * they are split over the lanes differently, so the floats agree to rounding. */
SG_AVX2 SG_INLINE __m256i scaled_pair_vnni(const int vnni, __m256i sum, __m256i u0,
                                           const int8_t *x0, __m256i u1, const int8_t *x1,
                                           __m256i scales) {
    const __m256i zero = _mm256_setzero_si256();
    __m256i packed = _mm256_packs_epi32(sg_dpbusd(zero, u0, load32(x0), vnni),
                                        sg_dpbusd(zero, u1, load32(x1), vnni));
    if (vnni == 2) __asm__("vpdpwssd %2, %1, %0" : "+x"(sum) : "x"(packed), "x"(scales));
    else __asm__("%{vex%} vpdpwssd %2, %1, %0" : "+x"(sum) : "x"(packed), "x"(scales));
    return sum;
}

/* A shuffle_epi8 mask that picks, in each 128-bit half, int16 word a four times then b four
 * times (the order _mm256_packs_epi32 leaves two registers' lanes in); lo for the low half,
 * hi for the high half. */
SG_AVX2 SG_INLINE __m256i pick_words(int lo_a, int lo_b, int hi_a, int hi_b) {
#define SG_WORD4(i) ((long long)((2 * (i)) | (2 * (i) + 1) << 8) * 0x0001000100010001LL)
    return _mm256_setr_epi64x(SG_WORD4(lo_a), SG_WORD4(lo_b), SG_WORD4(hi_a), SG_WORD4(hi_b));
#undef SG_WORD4
}

SG_AVX2 SG_INLINE __m256i bits_at(__m256i v, int shift, int mask) {
    return _mm256_and_si256(_mm256_srl_epi16(v, _mm_cvtsi32_si128(shift)), _mm256_set1_epi8((char)mask));
}

/* scales_k4 in a register: the 12 bytes -> 8 scales then 8 minimums, on 32-bit words (as
 * llama.cpp unpacks them), so no byte array is stored and read back as a vector (a store
 * forwarding stall per block). */
SG_AVX2 SG_INLINE __m128i scales_mins_k4(const uint8_t *s) {
    uint32_t v[3];
    memcpy(v, s, 12);
    const uint32_t six = 0x3f3f3f3f, four = 0x0f0f0f0f, two = 0x03030303;
    return _mm_setr_epi32((int)(v[0] & six), (int)((v[2] & four) | ((v[0] >> 6) & two) << 4),
                          (int)(v[1] & six), (int)(((v[2] >> 4) & four) | ((v[1] >> 6) & two) << 4));
}

/* Q4_K and Q5_K: 8 sub-blocks of 32, nibbles of 32 bytes per pair (low, then high). */
SG_AVX2 SG_INLINE float dot_q45k(const int five, const int vnni, const uint8_t *w, const SgQ8K *x,
                                 int64_t nb) {
    const int64_t bytes = five ? 176 : 144;
    __m256 acc = _mm256_setzero_ps();
    float mins = 0.0f;
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *blk = w + b * bytes, *qs = blk + (five ? 48 : 16);
        const int8_t *xq = x[b].q;
        _mm_prefetch((const char *)(blk + 4 * bytes), _MM_HINT_T0);
        const __m128i sm = scales_mins_k4(blk + 4);
        /* the 8 scales as int16 in both 128-bit halves, shuffled out per sub-block */
        const __m256i sc16 = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(sm));
        const __m128i pairs = _mm_hadd_epi16(_mm_loadu_si128((const __m128i *)x[b].bsums),
                                             _mm_loadu_si128((const __m128i *)(x[b].bsums + 8)));
        __m128i m = _mm_madd_epi16(_mm_cvtepu8_epi16(_mm_srli_si128(sm, 8)), pairs);
        m = _mm_add_epi32(m, _mm_shuffle_epi32(m, 0x4e));
        m = _mm_add_epi32(m, _mm_shuffle_epi32(m, 0xb1));
        mins += f16c(blk + 2) * x[b].d * (float)_mm_cvtsi128_si32(m);
        __m256i high = five ? load32(blk + 16) : _mm256_setzero_si256();
        const __m256i low4 = _mm256_set1_epi8(0x0f), one = _mm256_set1_epi8(1);
        __m256i sum = _mm256_setzero_si256();
        for (int pair = 0; pair < 4; pair++) {
            const __m256i bits = load32(qs + 32 * pair);
            __m256i lo = _mm256_and_si256(bits, low4);
            __m256i hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), low4);
            if (five) {
                lo = _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(high, one), 4));
                hi = _mm256_or_si256(hi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(high, 1), one), 4));
                high = _mm256_srli_epi16(high, 2);
            }
            const int a = 2 * pair, b = 2 * pair + 1;
            if (vnni) {
                sum = scaled_pair_vnni(vnni, sum, lo, xq + 64 * pair, hi, xq + 64 * pair + 32,
                                       _mm256_shuffle_epi8(sc16, pick_words(a, b, a, b)));
                continue;
            }
            sum = _mm256_add_epi32(sum, scaled(lo, xq + 64 * pair, _mm256_shuffle_epi8(sc16, pick_words(a, a, a, a))));
            sum = _mm256_add_epi32(sum, scaled(hi, xq + 64 * pair + 32, _mm256_shuffle_epi8(sc16, pick_words(b, b, b, b))));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(f16c(blk) * x[b].d), _mm256_cvtepi32_ps(sum), acc);
    }
    return hsum8(acc) - mins;
}

/* Q6_K: per half of 128, low nibbles from two 32-byte rows and two high bits from a third;
 * levels u = q + 32, the 32 paid back from the block sums. */
SG_AVX2 SG_INLINE float dot_q6k(const int vnni, const uint8_t *w, const SgQ8K *x, int64_t nb) {
    __m256 acc = _mm256_setzero_ps();
    const __m256i low4 = _mm256_set1_epi8(0x0f), three = _mm256_set1_epi8(3);
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *blk = w + b * 210;
        const int8_t *xq = x[b].q;
        _mm_prefetch((const char *)(blk + 4 * 210), _MM_HINT_T0);
        const int8_t *sc = (const int8_t *)blk + 192;
        /* widened in a register: an int16 array stored here and loaded back as one vector
         * would stall on store forwarding every block */
        const __m256i scales = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)sc));
        const __m256i offset = _mm256_slli_epi32(_mm256_madd_epi16(scales, load32(x[b].bsums)), 5);
        __m256i sum = _mm256_setzero_si256();
        for (int h = 0; h < 2; h++) {
            const __m256i ql0 = load32(blk + 64 * h), ql1 = load32(blk + 64 * h + 32);
            __m256i qh = load32(blk + 128 + 32 * h), u[4];
            for (int seg = 0; seg < 4; seg++) {
                const __m256i ql = seg % 2 ? ql1 : ql0;
                const __m256i low = seg < 2 ? _mm256_and_si256(ql, low4)
                                            : _mm256_and_si256(_mm256_srli_epi16(ql, 4), low4);
                u[seg] = _mm256_or_si256(low, _mm256_slli_epi16(_mm256_and_si256(qh, three), 4));
                qh = _mm256_srli_epi16(qh, 2);
            }
            const int8_t *xh = xq + 128 * h;
            if (vnni) {
                /* segment seg covers sub-blocks 2 seg (low 16) and 2 seg + 1 (high 16) of
                 * this half's 8 scales, broadcast to both 128-bit halves */
                const __m256i half = _mm256_permute2x128_si256(scales, scales, h ? 0x11 : 0x00);
                for (int pair = 0; pair < 2; pair++) {
                    const int s = 4 * pair;
                    sum = scaled_pair_vnni(vnni, sum, u[2 * pair], xh + 64 * pair, u[2 * pair + 1],
                                           xh + 64 * pair + 32,
                                           _mm256_shuffle_epi8(half, pick_words(s, s + 2, s + 1, s + 3)));
                }
                continue;
            }
            for (int seg = 0; seg < 4; seg++) {
                const int s = 8 * h + 2 * seg;
                sum = _mm256_add_epi32(sum, scaled(u[seg], xh + 32 * seg, pair16(sc[s], sc[s + 1])));
            }
        }
        sum = _mm256_sub_epi32(sum, offset);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(f16c(blk + 208) * x[b].d), _mm256_cvtepi32_ps(sum), acc);
    }
    return hsum8(acc);
}

/* Q2_K (two bits, scale and minimum per 16) and Q3_K (two bits plus a high bit from hmask,
 * signed scale per 16, u = q + 4): four 2-bit planes of one 32-byte row per half. */
SG_AVX2 SG_INLINE float dot_q23k(const int three_bit, const uint8_t *w, const SgQ8K *x,
                                 int64_t nb) {
    const int64_t bytes = three_bit ? 110 : 84;
    __m256 acc = _mm256_setzero_ps();
    float mins = 0.0f;
    const __m256i two = _mm256_set1_epi8(3), one = _mm256_set1_epi8(1);
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *blk = w + b * bytes;
        const int8_t *xq = x[b].q;
        _mm_prefetch((const char *)(blk + 4 * bytes), _MM_HINT_T0);
        int16_t sc[16];
        const __m256i bsums = load32(x[b].bsums);
        __m256i hmask = _mm256_setzero_si256();
        const uint8_t *qs;
        float d;
        int offset = 0;
        if (three_bit) {
            int8_t s3[16];
            scales_q3(blk + 96, s3);
            for (int s = 0; s < 16; s++) sc[s] = s3[s];
            hmask = load32(blk);
            qs = blk + 32;
            d = f16c(blk + 108) * x[b].d;
            offset = 4 * hsum_i32(_mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)sc), bsums));
        } else {
            int16_t mn[16];
            for (int s = 0; s < 16; s++) { sc[s] = blk[s] & 0x0f; mn[s] = blk[s] >> 4; }
            qs = blk + 16;
            d = f16c(blk + 80) * x[b].d;
            mins += f16c(blk + 82) * x[b].d *
                    (float)hsum_i32(_mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)mn), bsums));
        }
        __m256i sum = _mm256_setzero_si256();
        for (int h = 0; h < 2; h++) {
            __m256i bits = load32(qs + 32 * h);
            for (int seg = 0; seg < 4; seg++) {
                __m256i u = _mm256_and_si256(bits, two);
                bits = _mm256_srli_epi16(bits, 2);
                if (three_bit) {
                    u = _mm256_or_si256(u, _mm256_slli_epi16(_mm256_and_si256(hmask, one), 2));
                    hmask = _mm256_srli_epi16(hmask, 1);
                }
                const int s = 8 * h + 2 * seg;
                sum = _mm256_add_epi32(sum, scaled(u, xq + 128 * h + 32 * seg, pair16(sc[s], sc[s + 1])));
            }
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sum), acc);
        mins += d * (float)offset;
    }
    return hsum8(acc) - mins;
}

SG_AVX2 static float dot_q2k(const uint8_t *w, const SgQ8K *x, int64_t nb) {
    return dot_q23k(0, w, x, nb);
}

SG_AVX2 static float dot_q3k(const uint8_t *w, const SgQ8K *x, int64_t nb) {
    return dot_q23k(1, w, x, nb);
}

typedef float (*kq_dot_fn)(const uint8_t *, const SgQ8K *, int64_t);

/* Q4_K, Q5_K and Q6_K specialised per VNNI encoding, [vnni] (0: AVX2 alone). Q2_K's and
 * Q3_K's two- and three-bit planes take AVX2's kernel at every level. */
#define SG_KQ_DOTS(NAME, CALL)                                                                  \
    SG_AVX2 static float NAME##_0(const uint8_t *w, const SgQ8K *x, int64_t nb) { return CALL(0); } \
    SG_AVX2 static float NAME##_1(const uint8_t *w, const SgQ8K *x, int64_t nb) { return CALL(1); } \
    SG_AVX2 static float NAME##_2(const uint8_t *w, const SgQ8K *x, int64_t nb) { return CALL(2); } \
    static const kq_dot_fn NAME[3] = {NAME##_0, NAME##_1, NAME##_2};
#define SG_Q4K(V) dot_q45k(0, V, w, x, nb)
#define SG_Q5K(V) dot_q45k(1, V, w, x, nb)
#define SG_Q6K(V) dot_q6k(V, w, x, nb)
SG_KQ_DOTS(dot_q4k, SG_Q4K)
SG_KQ_DOTS(dot_q5k, SG_Q5K)
SG_KQ_DOTS(dot_q6k_at, SG_Q6K)
#endif

float sg_kq_dot(int qtype, const uint8_t *w, const SgQ8K *x, int64_t nb, int simd) {
#ifdef SG_X86
    if (simd >= SG_SIMD_AVX2) {
        const int vnni = simd - SG_SIMD_AVX2;  /* 0: AVX2 alone, 1: VEX, 2: EVEX */
        switch (qtype) {
        case QT_Q2_K: return dot_q2k(w, x, nb);
        case QT_Q3_K: return dot_q3k(w, x, nb);
        case QT_Q4_K: return dot_q4k[vnni](w, x, nb);
        case QT_Q5_K: return dot_q5k[vnni](w, x, nb);
        default: return dot_q6k_at[vnni](w, x, nb);
        }
    }
#else
    (void)simd;
#endif
    return dot_scalar(qtype, w, x, nb);
}

/* Blocks back to float32, with gguf-py's operations in its order (ml/sou/kquant.py's
 * dequantize_k), so the weights are the same bits: dl = d * sc, ml = dmin * mn, w = dl * q - ml. */
#ifdef SG_X86
__attribute__((target_clones("avx2", "default")))
#endif
void sg_kq_dequantize(int qtype, const uint8_t *w, int64_t nblocks, float *out) {
    const int64_t bytes = sg_kq_block_bytes(qtype);
    for (int64_t b = 0; b < nblocks; b++) {
        const uint8_t *blk = w + b * bytes;
        BlockParts p;
        block_parts(qtype, blk, &p);
        uint8_t u[QK_K];
        block_levels(qtype, blk, u);
        for (int s = 0; s < QK_K / p.sub; s++) {
            const float dl = p.d * (float)p.sc[s], ml = p.dmin * (float)p.mn[s];
            float *o = out + b * QK_K + s * p.sub;
            const uint8_t *us = u + s * p.sub;
            if (p.has_min) {
                for (int e = 0; e < p.sub; e++) o[e] = dl * (float)(us[e] - p.offset) - ml;
            } else {
                for (int e = 0; e < p.sub; e++) o[e] = dl * (float)(us[e] - p.offset);
            }
        }
    }
}
