/* pngkernel: count the pixels of a non-interlaced grey or palette PNG in one pass.
 *
 * The image data (the IDAT payloads, already checked for their CRCs by the caller) is
 * inflated through a fixed 256 KiB buffer; each row is copied out, unfiltered in place
 * against the previous row (None, Sub, Up, Average, Paeth) and added to an exact 64-bit
 * histogram right away. Two rows are all that is ever held of the image.
 *
 * Inflate is zlib-ng when the Python caller hands over the path of a shared object that
 * exports zlib-ng's native API (the `zlib-ng` package's extension module does), else the
 * zlib this module is linked against. Anything the kernel does not know raises ValueError
 * (the caller never sends it such files); damaged data raises KernelError with a message.
 *
 * Python API (the wrapper is maskstats/readers/fastpng.py):
 *   count(data, idat, width, height, depth, colour, verify, row0, row1, col0, col1, block)
 *     -> list of (values, counts) byte strings (native int64), one per block of `block`
 *        rows from row0 (block 0 = one block), each the histogram of rows [.., ..) and
 *        columns [col0, col1).
 *   use_zlib_ng(path) -> version string or None;  inflater() -> "zlib-ng 2.x" / "zlib 1.x"
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#ifndef _WIN32
#include <dlfcn.h>
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* little-endian GCC/Clang: word tricks (8-byte stores and compares, ctz) */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && defined(__GNUC__) \
    && !defined(PNGKERNEL_PORTABLE)
#define RUN_SCAN 1
#endif

/* zlib copies up to 32 KiB to its window per call: a larger buffer means fewer copies */
#define STAGE_BYTES (256 * 1024)

static PyObject *KernelError;

/* ------------------------------------------------------------------ inflate backends */
typedef struct {               /* zlib-ng's native stream (zlib-ng.h, stable in 2.x) */
    const uint8_t *next_in;
    uint32_t avail_in;
    size_t total_in;
    uint8_t *next_out;
    uint32_t avail_out;
    size_t total_out;
    const char *msg;
    void *state;
    void *zalloc;
    void *zfree;
    void *opaque;
    int data_type;
    uint32_t adler;
    unsigned long reserved;
} zng_stream;

typedef int32_t (*zng_init_fn)(zng_stream *, int32_t);
typedef int32_t (*zng_inflate_fn)(zng_stream *, int32_t);
typedef int32_t (*zng_end_fn)(zng_stream *);
typedef const char *(*zng_version_fn)(void);
typedef int32_t (*zng_validate_fn)(zng_stream *, int32_t);

static zng_validate_fn ng_validate;
static zng_init_fn ng_init;
static zng_inflate_fn ng_inflate;
static zng_end_fn ng_end;
static char ng_version[64];

typedef struct {
    int ng;
    z_stream z;
    zng_stream g;
} Inflater;

/* check: compute and compare the adler32 (else zlib skips it: the rows are all we need) */
static int inf_init(Inflater *f, int check) {
    int status;
    f->ng = ng_inflate != NULL;
    if (f->ng) {
        memset(&f->g, 0, sizeof f->g);
        status = ng_init(&f->g, 15);
        if (status == Z_OK && !check)
            ng_validate(&f->g, 0);
        return status;
    }
    memset(&f->z, 0, sizeof f->z);
    status = inflateInit(&f->z);
    if (status == Z_OK && !check)
        inflateValidate(&f->z, 0);
    return status;
}

static void inf_end(Inflater *f) {
    if (f->ng)
        ng_end(&f->g);
    else
        inflateEnd(&f->z);
}

/* Inflate from *in (*in_len bytes) into out (out_len bytes); advances *in, *in_len and
 * sets *made to the bytes written. Returns the zlib status. */
static int inf_run(Inflater *f, const uint8_t **in, size_t *in_len, uint8_t *out,
                   size_t out_len, size_t *made) {
    uint32_t give = *in_len > 0x40000000 ? 0x40000000 : (uint32_t)*in_len;
    int status;
    if (f->ng) {
        f->g.next_in = *in; f->g.avail_in = give;
        f->g.next_out = out; f->g.avail_out = (uint32_t)out_len;
        status = ng_inflate(&f->g, Z_NO_FLUSH);
        *made = out_len - f->g.avail_out;
        *in_len -= give - f->g.avail_in;
        *in = f->g.next_in;
    } else {
        f->z.next_in = (Bytef *)*in; f->z.avail_in = give;
        f->z.next_out = out; f->z.avail_out = (uInt)out_len;
        status = inflate(&f->z, Z_NO_FLUSH);
        *made = out_len - f->z.avail_out;
        *in_len -= give - f->z.avail_in;
        *in = f->z.next_in;
    }
    return status;
}

static const char *inf_msg(Inflater *f) {
    const char *m = f->ng ? f->g.msg : f->z.msg;
    return m ? m : "invalid data";
}

/* ------------------------------------------------------------------ the byte source */
typedef struct {
    Inflater inf;
    const uint8_t *data;
    const Py_ssize_t *ranges;  /* start, end pairs */
    Py_ssize_t nranges, next;  /* next range to feed */
    const uint8_t *in;
    size_t in_len;
    uint8_t *stage;
    size_t stage_pos, stage_len;
    int ended;                 /* Z_STREAM_END seen */
    int broken;                /* zlib failed: the bytes it made before are still served */
    char error[160];
} Source;

/* Refill the stage. Returns 1 when bytes are there, 0 at the end of the stream or of the
 * data (error set when the data ran out before the stream end), -1 on a zlib error. */
static int refill(Source *s) {
    s->stage_pos = s->stage_len = 0;
    if (s->broken)
        return -1;
    while (!s->ended) {
        if (s->in_len == 0) {
            if (s->next >= s->nranges) {
                snprintf(s->error, sizeof s->error, "the zlib stream is incomplete");
                return 0;
            }
            s->in = s->data + s->ranges[2 * s->next];
            s->in_len = (size_t)(s->ranges[2 * s->next + 1] - s->ranges[2 * s->next]);
            s->next++;
            continue;
        }
        size_t made = 0;
        int status = inf_run(&s->inf, &s->in, &s->in_len, s->stage, STAGE_BYTES, &made);
        s->stage_len = made;
        if (status == Z_STREAM_END)
            s->ended = 1;
        else if (status != Z_OK && status != Z_BUF_ERROR) {
            /* damage past the last row is no error unless the adler32 is checked */
            snprintf(s->error, sizeof s->error, "zlib: %s", inf_msg(&s->inf));
            s->broken = 1;
            return made ? 1 : -1;
        }
        if (made)
            return 1;
    }
    return 0;
}

/* Copy the next n inflated bytes to out; 0 when the stream ends first (error set). */
static int take(Source *s, uint8_t *out, size_t n) {
    while (n) {
        if (s->stage_pos == s->stage_len) {
            int r = refill(s);
            if (r < 0)
                return 0;
            if (r == 0) {
                if (!s->error[0])
                    snprintf(s->error, sizeof s->error,
                             "the zlib stream ends before the last pixel row");
                return 0;
            }
        }
        size_t k = s->stage_len - s->stage_pos;
        if (k > n)
            k = n;
        memcpy(out, s->stage + s->stage_pos, k);
        s->stage_pos += k;
        out += k;
        n -= k;
    }
    return 1;
}

/* Inflate to the stream end (zlib checks the adler32 there); 0 on failure (error set). */
static int drain(Source *s) {
    for (;;) {
        int r = refill(s);
        if (r < 0)
            return 0;
        if (r == 0)
            return s->error[0] == 0;
    }
}

/* ------------------------------------------------------------------ unfilter */
static inline uint8_t paeth(int a, int b, int c) {
    int p = a + b - c;
    int pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    if (pa <= pb && pa <= pc)
        return (uint8_t)a;
    return (uint8_t)(pb <= pc ? b : c);
}

static inline uint64_t load8(const uint8_t *q) {
    uint64_t w;
    memcpy(&w, q, 8);
    return w;
}

/* x[i..i+7] = the pixel left of x[i] repeated (bpp 1 or 2), from registers: no chain */
static inline void fill_left(uint8_t *x, size_t i, size_t bpp) {
    if (bpp == 1) {
        memset(x + i, x[i - 1], 8);
        return;
    }
#if RUN_SCAN
    uint64_t w = ((uint64_t)x[i - 2] | (uint64_t)x[i - 1] << 8) * 0x0001000100010001ULL;
    memcpy(x + i, &w, 8);
#else
    uint8_t hi = x[i - 2], lo = x[i - 1];
    for (size_t k = 0; k < 8; k += 2) {
        x[i + k] = hi;
        x[i + k + 1] = lo;
    }
#endif
}

/* x: the row's bytes after its filter byte, p: the previous row's (zeros for row 0).
 * Masks are runs of one value, so their filtered bytes are mostly zero: eight zero bytes
 * whose prediction is the left neighbour (Sub always; Paeth when the row above repeats
 * itself with period bpp there) are filled by copying, without the per-byte chain. */
static int unfilter(int type, uint8_t *restrict x, const uint8_t *restrict p, size_t n,
                    size_t bpp) {
    size_t i;
    switch (type) {
    case 0:
        return 1;
    case 1:
        for (i = bpp; i < n;) {
            if (i + 8 <= n && !load8(x + i)) {
                fill_left(x, i, bpp);
                i += 8;
                continue;
            }
            x[i] = (uint8_t)(x[i] + x[i - bpp]);
            i++;
        }
        return 1;
    case 2:
        for (i = 0; i < n; i++)
            x[i] = (uint8_t)(x[i] + p[i]);
        return 1;
    case 3:
        for (i = 0; i < bpp && i < n; i++)
            x[i] = (uint8_t)(x[i] + (p[i] >> 1));
        for (; i < n; i++)
            x[i] = (uint8_t)(x[i] + ((x[i - bpp] + p[i]) >> 1));
        return 1;
    case 4:
        for (i = 0; i < bpp && i < n; i++)
            x[i] = (uint8_t)(x[i] + p[i]);
        while (i < n) {
            /* b == c for all eight: Paeth predicts a, the left neighbour */
            if (i + 8 <= n && !load8(x + i) && load8(p + i) == load8(p + i - bpp)) {
                fill_left(x, i, bpp);
                i += 8;
                continue;
            }
            x[i] = (uint8_t)(x[i] + paeth(x[i - bpp], p[i], p[i - bpp]));
            i++;
        }
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ histograms */
/* Masks are runs: the histograms find where each run ends (8 or 16 bytes compared at a
 * time, the first differing byte found by counting trailing zeros) and add its length to
 * its bin once, instead of adding every pixel. */
#if RUN_SCAN && defined(__SSE2__)
#include <emmintrin.h>
#endif

static void hist8(uint64_t *restrict h, const uint8_t *x, size_t c0, size_t c1) {
    const uint8_t *q = x + c0, *end = x + c1;
#if RUN_SCAN
    const uint8_t *start = q;
    unsigned v = *q;
    uint64_t same = (uint64_t)v * 0x0101010101010101ULL;
#if defined(__SSE2__)
    __m128i vec = _mm_set1_epi8((char)v);
    while (q + 16 <= end) {
        unsigned d = (unsigned)_mm_movemask_epi8(
            _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)q), vec)) ^ 0xFFFFu;
        if (!d) {
            q += 16;
            continue;
        }
        q += __builtin_ctz(d);
        h[v] += (uint64_t)(q - start);
        start = q;
        v = *q;
        vec = _mm_set1_epi8((char)v);
    }
    same = (uint64_t)v * 0x0101010101010101ULL;
#endif
    while (q + 8 <= end) {
        uint64_t d = load8(q) ^ same;
        if (!d) {
            q += 8;
            continue;
        }
        q += __builtin_ctzll(d) >> 3;
        h[v] += (uint64_t)(q - start);
        start = q;
        v = *q;
        same = (uint64_t)v * 0x0101010101010101ULL;
    }
    h[v] += (uint64_t)(q - start);
#endif
    while (q < end)
        h[*q++]++;
}

static inline unsigned px16(const uint8_t *x, size_t j) {
    return ((unsigned)x[2 * j] << 8) | x[2 * j + 1];
}

static void hist16(uint64_t *restrict h, uint8_t *restrict seen, const uint8_t *x, size_t c0,
                   size_t c1) {
    size_t j = c0;
#if RUN_SCAN
    size_t start = j;
    unsigned v = px16(x, j);
    uint64_t same = ((uint64_t)x[2 * j] | (uint64_t)x[2 * j + 1] << 8) * 0x0001000100010001ULL;
    seen[v >> 8] = 1;
    while (j + 4 <= c1) {  /* four pixels at a time */
        uint64_t d = load8(x + 2 * j) ^ same;
        if (!d) {
            j += 4;
            continue;
        }
        j += (size_t)(__builtin_ctzll(d) >> 4);  /* whole pixels that still match */
        h[v] += j - start;
        start = j;
        v = px16(x, j);
        seen[v >> 8] = 1;
        same = ((uint64_t)x[2 * j] | (uint64_t)x[2 * j + 1] << 8) * 0x0001000100010001ULL;
    }
    h[v] += j - start;
#endif
    for (; j < c1; j++) {
        unsigned u = px16(x, j);
        h[u]++;
        seen[u >> 8] = 1;
    }
}

static void hist_low(uint64_t *restrict h, const uint8_t *x, size_t c0, size_t c1, int depth) {
    unsigned mask = (1u << depth) - 1, per = 8 / depth;
    for (size_t j = c0; j < c1; j++) {
        unsigned shift = 8 - depth - (unsigned)(j % per) * depth;
        h[(x[j / per] >> shift) & mask]++;
    }
}

/* ------------------------------------------------------------------ one call */
typedef struct {
    size_t width, height, row0, row1, col0, col1, block;
    int depth, verify;
} Job;

typedef struct {                /* the non-zero bins of every block, appended */
    int64_t *values, *counts;
    size_t used, cap;
    size_t *ends;               /* entries used at the end of each block */
    size_t nblocks;
} Out;

static int out_push(Out *o, int64_t v, int64_t c) {
    if (o->used == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 256;
        int64_t *nv = realloc(o->values, cap * sizeof *nv);
        if (!nv)
            return 0;
        o->values = nv;
        int64_t *nc = realloc(o->counts, cap * sizeof *nc);
        if (!nc)
            return 0;
        o->counts = nc;
        o->cap = cap;
    }
    o->values[o->used] = v;
    o->counts[o->used++] = c;
    return 1;
}

/* Move the histogram's non-zero bins to the output and clear them. */
static int flush_block(Out *o, uint64_t *h, uint8_t *seen, int depth) {
    if (depth == 16) {
        for (size_t hi = 0; hi < 256; hi++) {
            if (!seen[hi])
                continue;
            seen[hi] = 0;
            for (size_t v = hi << 8; v < (hi + 1) << 8; v++)
                if (h[v]) {
                    if (!out_push(o, (int64_t)v, (int64_t)h[v]))
                        return 0;
                    h[v] = 0;
                }
        }
    } else {
        for (size_t v = 0; v < 256; v++)
            if (h[v]) {
                if (!out_push(o, (int64_t)v, (int64_t)h[v]))
                    return 0;
                h[v] = 0;
            }
    }
    o->ends[o->nblocks++] = o->used;
    return 1;
}

/* The whole pass; returns 0 with s->error set (or errno-style "out of memory"). */
static int run(const Job *j, Source *s, Out *o) {
    size_t bits = j->width * (size_t)j->depth;
    size_t rowbytes = (bits + 7) / 8, bpp = j->depth == 16 ? 2 : 1;
    size_t nbins = j->depth == 16 ? 65536 : 256;
    int ok = 0;
    /* two rows, each with its filter byte, 8 spare bytes before it and after the last */
    uint8_t *rows = calloc(1, 2 * (rowbytes + 1 + 8) + 8);
    uint64_t *h = calloc(nbins, sizeof *h);
    uint8_t *seen = calloc(256, 1);
    if (!rows || !h || !seen) {
        snprintf(s->error, sizeof s->error, "out of memory");
        goto done;
    }
    uint8_t *cur = rows + 8, *prev = rows + 8 + rowbytes + 1 + 8;
    size_t in_block = 0;
    for (size_t r = 0; r < j->row1; r++) {
        if (!take(s, cur, rowbytes + 1))
            goto done;
        if (!unfilter(cur[0], cur + 1, prev + 1, rowbytes, bpp)) {
            snprintf(s->error, sizeof s->error, "invalid filter type %d in pixel row %zu",
                     cur[0], r);
            goto done;
        }
        if (r >= j->row0) {
            if (j->depth == 8)
                hist8(h, cur + 1, j->col0, j->col1);
            else if (j->depth == 16)
                hist16(h, seen, cur + 1, j->col0, j->col1);
            else
                hist_low(h, cur + 1, j->col0, j->col1, j->depth);
            if (++in_block == j->block || r + 1 == j->row1) {
                if (!flush_block(o, h, seen, j->depth)) {
                    snprintf(s->error, sizeof s->error, "out of memory");
                    goto done;
                }
                in_block = 0;
            }
        }
        uint8_t *t = cur; cur = prev; prev = t;
    }
    if (j->verify && !drain(s))
        goto done;
    ok = 1;
done:
    free(rows);
    free(h);
    free(seen);
    return ok;
}

static PyObject *build_result(const Out *o) {
    PyObject *list = PyList_New((Py_ssize_t)o->nblocks);
    if (!list)
        return NULL;
    size_t start = 0;
    for (size_t b = 0; b < o->nblocks; b++) {
        size_t n = o->ends[b] - start;
        PyObject *item = Py_BuildValue("(y#y#)", (const char *)(o->values + start),
                                       (Py_ssize_t)(n * 8), (const char *)(o->counts + start),
                                       (Py_ssize_t)(n * 8));
        if (!item) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)b, item);
        start = o->ends[b];
    }
    return list;
}

/* idat: a sequence of (start, end) pairs within data */
static Py_ssize_t *read_ranges(PyObject *idat, Py_ssize_t size, Py_ssize_t *n) {
    PyObject *seq = PySequence_Fast(idat, "idat must be a sequence of (start, end) pairs");
    if (!seq)
        return NULL;
    *n = PySequence_Fast_GET_SIZE(seq);
    Py_ssize_t *r = PyMem_Malloc(sizeof *r * 2 * (size_t)(*n ? *n : 1));
    if (!r) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < *n; i++) {
        Py_ssize_t a, b;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, i), "nn", &a, &b))
            goto bad;
        if (a < 0 || b < a || b > size) {
            PyErr_SetString(PyExc_ValueError, "an idat range lies outside the data");
            goto bad;
        }
        r[2 * i] = a;
        r[2 * i + 1] = b;
    }
    Py_DECREF(seq);
    return r;
bad:
    Py_DECREF(seq);
    PyMem_Free(r);
    return NULL;
}

static int check_job(const Job *j, int colour) {
    int depth_ok = j->depth == 1 || j->depth == 2 || j->depth == 4 || j->depth == 8 ||
                   (j->depth == 16 && colour == 0);
    if ((colour != 0 && colour != 3) || !depth_ok) {
        PyErr_SetString(PyExc_ValueError, "not a grey or palette PNG kind the kernel counts");
        return 0;
    }
    if (!j->width || !j->height || j->width > (SIZE_MAX - 64) / 16 || j->width > 0x7FFFFFFF ||
        j->height > 0x7FFFFFFF ||
        j->row0 >= j->row1 || j->row1 > j->height || j->col0 >= j->col1 ||
        j->col1 > j->width) {
        PyErr_SetString(PyExc_ValueError, "size, row range or column range out of bounds");
        return 0;
    }
    return 1;
}

static PyObject *py_count(PyObject *self, PyObject *args) {
    Py_buffer buf;
    PyObject *idat, *result = NULL;
    Py_ssize_t w, h, r0, r1, c0, c1, block;
    int depth, colour, verify;
    if (!PyArg_ParseTuple(args, "y*Onniipnnnnn", &buf, &idat, &w, &h, &depth, &colour, &verify,
                          &r0, &r1, &c0, &c1, &block))
        return NULL;
    Py_ssize_t nranges = 0, *ranges = NULL;
    Out o = {0};
    Source s;
    memset(&s, 0, sizeof s);
    Job j = {(size_t)w, (size_t)h, (size_t)r0, (size_t)r1, (size_t)c0, (size_t)c1,
             (size_t)block, depth, verify};
    if (w <= 0 || h <= 0 || r0 < 0 || r1 < 0 || c0 < 0 || c1 < 0 || block < 0) {
        PyErr_SetString(PyExc_ValueError, "negative size or range");
        goto out;
    }
    if (!check_job(&j, colour))
        goto out;
    if (!(ranges = read_ranges(idat, buf.len, &nranges)))
        goto out;
    size_t rows = j.row1 - j.row0;
    size_t nblocks = j.block ? (rows + j.block - 1) / j.block : 1;
    if (!j.block)
        j.block = rows;
    o.ends = PyMem_RawMalloc(nblocks * sizeof *o.ends);
    s.stage = PyMem_RawMalloc(STAGE_BYTES);
    if (!o.ends || !s.stage) {
        PyErr_NoMemory();
        goto out;
    }
    s.data = buf.buf;
    s.ranges = ranges;
    s.nranges = nranges;
    if (inf_init(&s.inf, verify) != Z_OK) {
        PyErr_NoMemory();
        goto out;
    }
    int ok;
    Py_BEGIN_ALLOW_THREADS
    ok = run(&j, &s, &o);
    Py_END_ALLOW_THREADS
    inf_end(&s.inf);
    if (!ok) {
        if (!strcmp(s.error, "out of memory"))
            PyErr_NoMemory();
        else
            PyErr_SetString(KernelError, s.error);
        goto out;
    }
    result = build_result(&o);
out:
    PyBuffer_Release(&buf);
    PyMem_Free(ranges);
    PyMem_RawFree(o.ends);
    PyMem_RawFree(s.stage);
    free(o.values);
    free(o.counts);
    return result;
}

static PyObject *py_use_zlib_ng(PyObject *self, PyObject *args) {
    const char *path;
    if (!PyArg_ParseTuple(args, "s", &path))
        return NULL;
    if (ng_inflate)
        return PyUnicode_FromString(ng_version);
#ifdef _WIN32
    Py_RETURN_NONE;  /* not wired up on Windows: the linked zlib serves */
#else
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        Py_RETURN_NONE;
    zng_init_fn init = (zng_init_fn)dlsym(lib, "zng_inflateInit2");
    zng_inflate_fn inf = (zng_inflate_fn)dlsym(lib, "zng_inflate");
    zng_end_fn end = (zng_end_fn)dlsym(lib, "zng_inflateEnd");
    zng_version_fn version = (zng_version_fn)dlsym(lib, "zlibng_version");
    const char *v = version ? version() : NULL;
    zng_validate_fn validate = (zng_validate_fn)dlsym(lib, "zng_inflateValidate");
    if (!init || !inf || !end || !validate || !v || v[0] != '2' || v[1] != '.') {  /* the 2.x stream */
        dlclose(lib);
        Py_RETURN_NONE;
    }
    snprintf(ng_version, sizeof ng_version, "%s", v);
    ng_init = init;
    ng_end = end;
    ng_validate = validate;
    ng_inflate = inf;  /* kept loaded for the life of the process */
    return PyUnicode_FromString(ng_version);
#endif
}

static PyObject *py_inflater(PyObject *self, PyObject *noargs) {
    if (ng_inflate)
        return PyUnicode_FromFormat("zlib-ng %s", ng_version);
    return PyUnicode_FromFormat("zlib %s", zlibVersion());
}

static PyMethodDef methods[] = {
    {"count", py_count, METH_VARARGS,
     "count(data, idat, width, height, depth, colour, verify, row0, row1, col0, col1, block)"
     " -> [(values, counts), ...]: int64 byte strings, one pair per block of rows"},
    {"use_zlib_ng", py_use_zlib_ng, METH_VARARGS,
     "use_zlib_ng(path) -> zlib-ng version, or None when path holds no zlib-ng 2.x"},
    {"inflater", py_inflater, METH_NOARGS, "inflater() -> 'zlib-ng 2.x.y' or 'zlib 1.x.y'"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "pngkernel",
    "Fused inflate-unfilter-histogram kernel for PNG masks (see maskstats.readers.fastpng).",
    -1, methods,
};

PyMODINIT_FUNC PyInit_pngkernel(void) {
    PyObject *m = PyModule_Create(&module);
    if (!m)
        return NULL;
    KernelError = PyErr_NewException("maskstats.readers.pngkernel.KernelError",
                                     PyExc_ValueError, NULL);
    if (!KernelError || PyModule_AddObject(m, "KernelError", KernelError) < 0) {
        Py_XDECREF(KernelError);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(KernelError);
    return m;
}
