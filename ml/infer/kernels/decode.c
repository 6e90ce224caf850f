/* Decode steps and prompts of a LLaMA-family model, each in a single foreign call.
 *
 * Each row feeds one token at its own position into its sequence's cache row; the call writes
 * every row's new key and value into the cache, then each row attends to its sequence's keys up
 * to its own position. A decode step gives each sequence one row; a prompt gives one sequence
 * a row per token, so a row also sees the keys the rows before it wrote in the same call (the
 * causal mask, for free). Logits come back for the rows asked for (a prompt needs its last
 * only). Decode steps quantize activations to 8 bits per block for the integer kernels; prompts
 * meet weight tiles dequantized once per thread in float32, which suits many rows, except in
 * the output head (one row per sequence). Everything
 * the eager PyTorch forward does per token (about 20 operator launches per layer) happens here
 * in plain loops, so a token costs the weight traffic of its matrix products and little else.
 * The products run through sg_linear_group (qmm.c): q/k/v share one quantized input and one
 * parallel loop, gate/up another. The arithmetic follows ml/models/llama.py: RMSNorm in float32,
 * rotate-half rotary embedding from the model's own cos/sin tables, grouped-query attention
 * over positions 0..p, SiLU-gated MLP, personality steering added after chosen blocks.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sg.h"

typedef struct {
    const float *attn_norm, *mlp_norm; /* (C,) */
    SgLinear q, k, v, o, gate, up, down;
    float *k_cache, *v_cache; /* (max_batch, n_kv_head, cache_len, head_dim) */
    const float *steer;       /* (C,) added after the block, times the row's strength; or NULL */
} SgLlamaLayer;

typedef struct {
    int32_t n_layer, n_embd, n_head, n_kv_head, head_dim, intermediate, vocab;
    int32_t max_batch, cache_len, rope_len;
    float eps;
    int32_t embed_qtype;
    const uint8_t *embed;             /* (vocab, C) in embed_qtype */
    const float *norm;                /* (C,) final RMSNorm */
    SgLinear head;                    /* (vocab, C) */
    const float *rope_cos, *rope_sin; /* (rope_len, head_dim) */
    const SgLlamaLayer *layers;       /* (n_layer,) */
} SgLlama;

enum { SG_OK = 0, SG_BAD_INPUT = -2, SG_NO_MEMORY = -3, SG_KERNEL = -1 };

static void rms_norm(const float *x, const float *weight, int64_t C, float eps, float *out) {
    float sum = 0.0f;
    for (int64_t i = 0; i < C; i++) sum += x[i] * x[i];
    const float scale = 1.0f / sqrtf(sum / (float)C + eps);
    for (int64_t i = 0; i < C; i++) out[i] = weight[i] * (x[i] * scale);
}

/* Rotate-half rotary embedding of `heads` vectors of width D at one position. */
static void rope(float *x, int heads, int D, const float *cos, const float *sin) {
    const int half = D / 2;
    for (int h = 0; h < heads; h++) {
        float *v = x + (int64_t)h * D;
        for (int i = 0; i < half; i++) {
            const float a = v[i], b = v[i + half];
            v[i] = a * cos[i] - b * sin[i];
            v[i + half] = b * cos[i + half] + a * sin[i + half];
        }
    }
}

/* One query head over cache positions 0..pos: softmax(q k^T / sqrt(D)) v into out (D,). */
static void attend_head(const float *q, const float *keys, const float *values, int64_t pos, int D,
                        float *scores, float *out) {
    sg_scores_f32(q, keys, pos + 1, D, 1.0f / sqrtf((float)D), scores);
    float best = -INFINITY;
    for (int64_t s = 0; s <= pos; s++) best = scores[s] > best ? scores[s] : best;
    float total = 0.0f;
    for (int64_t s = 0; s <= pos; s++) {
        scores[s] = expf(scores[s] - best);
        total += scores[s];
    }
    const float norm = 1.0f / total;
    for (int64_t s = 0; s <= pos; s++) scores[s] *= norm;
    sg_mix_f32(scores, values, pos + 1, D, out);
}

enum { MAX_ROWS = 1 << 16 };  /* rows per call: bounds the scratch allocation */

static int check_inputs(const SgLlama *m, int64_t batch, const int64_t *tokens,
                        const int64_t *positions, const int64_t *cache_rows, int64_t n_logits,
                        const int64_t *logit_rows) {
    if (batch < 1 || batch > MAX_ROWS || m->head_dim % 2) return SG_BAD_INPUT;
    if (!cache_rows && batch > m->max_batch) return SG_BAD_INPUT;
    if (n_logits < 0 || n_logits > batch) return SG_BAD_INPUT;
    for (int64_t b = 0; b < batch; b++) {
        if (tokens[b] < 0 || tokens[b] >= m->vocab) return SG_BAD_INPUT;
        if (positions[b] < 0 || positions[b] >= m->cache_len || positions[b] >= m->rope_len)
            return SG_BAD_INPUT;
        if (cache_rows && (cache_rows[b] < 0 || cache_rows[b] >= m->max_batch)) return SG_BAD_INPUT;
    }
    for (int64_t i = 0; logit_rows && i < n_logits; i++)
        if (logit_rows[i] < 0 || logit_rows[i] >= batch) return SG_BAD_INPUT;
    return SG_OK;
}

/* Working memory of one step, carved from a single allocation. */
typedef struct {
    float *x, *h, *q, *k, *v, *att, *gate, *up, *scores;
} Scratch;

/* One layer's attention, shared out by (row, head). */
typedef struct {
    const Scratch *t;
    const SgLlamaLayer *L;
    const int64_t *positions, *cache_rows;
    int64_t H, Hkv, group, S, D;
} AttentionTask;

static void attend_heads(void *arg, int64_t begin, int64_t end, int thread) {
    const AttentionTask *a = arg;
    for (int64_t bh = begin; bh < end; bh++) {
        const int64_t b = bh / a->H, h = bh % a->H, g = h / a->group;
        const int64_t row = ((a->cache_rows ? a->cache_rows[b] : b) * a->Hkv + g) * a->S * a->D;
        attend_head(a->t->q + bh * a->D, a->L->k_cache + row, a->L->v_cache + row, a->positions[b],
                    (int)a->D, a->t->scores + (int64_t)thread * a->S, a->t->att + bh * a->D);
    }
}

static float *carve(float **cursor, int64_t count) {
    float *p = *cursor;
    *cursor += count;
    return p;
}

/* Rows of tokens (batch,) at positions (batch,) into cache rows cache_rows (batch,) (NULL: row
 * b uses cache row b); logits (n_logits, vocab) for rows logit_rows (n_logits,) (NULL: rows
 * 0..n_logits-1; n_logits = 0 skips the output head). steer_scale (batch,) multiplies each
 * layer's steering vector, or is NULL for none. float_acts: 1 for prompts (float32 activations
 * against dequantized weight tiles), 0 for decode steps (8-bit activations, integer kernels).
 * Returns 0, SG_BAD_INPUT (a token, position, row or count out of range), SG_NO_MEMORY, or
 * SG_KERNEL. */
int sg_llama_forward(const SgLlama *m, int64_t batch, const int64_t *tokens,
                     const int64_t *positions, const int64_t *cache_rows, const float *steer_scale,
                     int64_t n_logits, const int64_t *logit_rows, float *logits, int float_acts,
                     int n_threads) {
    int status = check_inputs(m, batch, tokens, positions, cache_rows, n_logits, logit_rows);
    if (status != SG_OK) return status;
    const int64_t C = m->n_embd, D = m->head_dim, H = m->n_head, Hkv = m->n_kv_head;
    const int64_t I = m->intermediate, S = m->cache_len, group = H / Hkv;
    const int64_t per_row = 2 * C + 2 * H * D + 2 * Hkv * D + 2 * I;
    const int threads = n_threads > 1 ? n_threads : 1;
    /* Attention scores are per thread, not per row: a long prompt would need rows x heads x
     * cache positions of them. */
    float *memory = malloc(sizeof(float) * (size_t)(batch * per_row + threads * S + n_logits * C));
    if (!memory) return SG_NO_MEMORY;
    float *cursor = memory;
    Scratch t = {carve(&cursor, batch * C), carve(&cursor, batch * C), carve(&cursor, batch * H * D),
                 carve(&cursor, batch * Hkv * D), carve(&cursor, batch * Hkv * D),
                 carve(&cursor, batch * H * D), carve(&cursor, batch * I), carve(&cursor, batch * I),
                 carve(&cursor, threads * S)};
    float *head_in = carve(&cursor, n_logits * C);

    const int64_t embed_row = sg_row_bytes(m->embed_qtype, C);
    for (int64_t b = 0; b < batch && status == SG_OK; b++) {
        const uint8_t *row = m->embed + tokens[b] * embed_row;
        if (m->embed_qtype == QT_F32) {
            memcpy(t.x + b * C, row, sizeof(float) * (size_t)C);
        } else if (embed_row < 0 || sg_dequantize(m->embed_qtype, row, 1, C, t.x + b * C)) {
            status = SG_KERNEL;
        }
    }

    for (int32_t l = 0; l < m->n_layer && status == SG_OK; l++) {
        const SgLlamaLayer *L = &m->layers[l];
        for (int64_t b = 0; b < batch; b++) rms_norm(t.x + b * C, L->attn_norm, C, m->eps, t.h + b * C);
        SgLinear qkv[3] = {L->q, L->k, L->v};
        float *qkv_out[3] = {t.q, t.k, t.v};
        if (sg_linear_group(qkv, 3, t.h, batch, qkv_out, float_acts, n_threads)) { status = SG_KERNEL; break; }

        for (int64_t b = 0; b < batch; b++) {
            const int64_t pos = positions[b];
            const float *cos = m->rope_cos + pos * D, *sin = m->rope_sin + pos * D;
            rope(t.q + b * H * D, (int)H, (int)D, cos, sin);
            rope(t.k + b * Hkv * D, (int)Hkv, (int)D, cos, sin);
            const int64_t cache_row = cache_rows ? cache_rows[b] : b;
            for (int64_t g = 0; g < Hkv; g++) {
                const int64_t slot = ((cache_row * Hkv + g) * S + pos) * D;
                memcpy(L->k_cache + slot, t.k + (b * Hkv + g) * D, sizeof(float) * (size_t)D);
                memcpy(L->v_cache + slot, t.v + (b * Hkv + g) * D, sizeof(float) * (size_t)D);
            }
        }
        /* Heads are independent, and past a few dozen positions attention is the one
         * non-matmul part of the step worth sharing out. */
        int64_t longest = 0;
        for (int64_t b = 0; b < batch; b++) longest = positions[b] > longest ? positions[b] : longest;
        const int share = n_threads > 1 && batch * H * (longest + 1) * D >= (1 << 14);
        AttentionTask task = {&t, L, positions, cache_rows, H, Hkv, group, S, D};
        sg_parallel_for(batch * H, 1, share ? n_threads : 1, attend_heads, &task);
        float *o_out[1] = {t.h};
        if (sg_linear_group(&L->o, 1, t.att, batch, o_out, float_acts, n_threads)) { status = SG_KERNEL; break; }
        for (int64_t i = 0; i < batch * C; i++) t.x[i] += t.h[i];

        for (int64_t b = 0; b < batch; b++) rms_norm(t.x + b * C, L->mlp_norm, C, m->eps, t.h + b * C);
        SgLinear gate_up[2] = {L->gate, L->up};
        float *gate_up_out[2] = {t.gate, t.up};
        if (sg_linear_group(gate_up, 2, t.h, batch, gate_up_out, float_acts, n_threads)) { status = SG_KERNEL; break; }
        for (int64_t i = 0; i < batch * I; i++) {
            const float g = t.gate[i];
            t.gate[i] = g / (1.0f + expf(-g)) * t.up[i];
        }
        float *down_out[1] = {t.h};
        if (sg_linear_group(&L->down, 1, t.gate, batch, down_out, float_acts, n_threads)) { status = SG_KERNEL; break; }
        for (int64_t i = 0; i < batch * C; i++) t.x[i] += t.h[i];

        if (L->steer && steer_scale) {
            for (int64_t b = 0; b < batch; b++) {
                const float s = steer_scale[b];
                if (s != 0.0f) for (int64_t i = 0; i < C; i++) t.x[b * C + i] += s * L->steer[i];
            }
        }
    }
    if (status == SG_OK && n_logits > 0) {
        for (int64_t i = 0; i < n_logits; i++) {
            const int64_t b = logit_rows ? logit_rows[i] : i;
            rms_norm(t.x + b * C, m->norm, C, m->eps, head_in + i * C);
        }
        /* The head reads one row per sequence, which the integer kernels do fastest (and the
         * PyTorch path does the same), so it never takes the float tiles. */
        if (sg_linear_group(&m->head, 1, head_in, n_logits, &logits, 0, n_threads))
            status = SG_KERNEL;
    }
    free(memory);
    return status;
}
