/*
 * palisade.c: guest ABI v1 (sdk/ABI.md) for C policy packs: the exports,
 * a JSON parser for the batch and request documents, and the reply writer.
 * The pack itself (PALISADE_PACK) comes from the policy file.
 *
 * Memory: input buffers come from palisade_alloc (malloc) and are freed once
 * read, except the batch's, which the parsed batch points into (strings are
 * decoded in place). Parsed values live in an arena per document. The reply
 * buffer is reused from call to call; each reply stays valid until the next.
 */
#include "palisade.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT(name) __attribute__((export_name(name)))

/* Deeper than the 128 levels the host reads, plus the batch's own levels. */
#define MAX_DEPTH 256

/* ---- Growable byte buffers ---- */

typedef struct {
  char *data;
  size_t len, cap;
  bool failed; /* out of memory: the contents are incomplete */
} buf;

static bool buf_reserve(buf *b, size_t extra) {
  if (b->failed)
    return false;
  if (extra <= b->cap - b->len)
    return true;
  size_t cap = b->cap ? b->cap : 256;
  while (cap - b->len < extra) {
    if (cap > SIZE_MAX / 2) {
      b->failed = true;
      return false;
    }
    cap *= 2;
  }
  char *data = realloc(b->data, cap);
  if (!data) {
    b->failed = true;
    return false;
  }
  b->data = data;
  b->cap = cap;
  return true;
}

static void buf_put(buf *b, const char *s, size_t n) {
  if (n && buf_reserve(b, n)) {
    memcpy(b->data + b->len, s, n);
    b->len += n;
  }
}

static void buf_puts(buf *b, const char *s) { buf_put(b, s, strlen(s)); }

static void buf_putc(buf *b, char c) { buf_put(b, &c, 1); }

static void buf_put_uint(buf *b, size_t n) {
  char digits[24];
  size_t i = sizeof digits;
  do {
    digits[--i] = (char)('0' + n % 10);
    n /= 10;
  } while (n);
  buf_put(b, digits + i, sizeof digits - i);
}

static void buf_reset(buf *b) {
  b->len = 0;
  b->failed = false;
}

/* ---- UTF-8 and JSON strings ---- */

/* The length of the well-formed UTF-8 sequence at `s` (of `n` bytes), 0 if
 * there is none. */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned c = s[0], lo = 0x80, hi = 0xBF;
  size_t more;
  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    more = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    more = 2;
    if (c == 0xE0)
      lo = 0xA0;
    if (c == 0xED)
      hi = 0x9F; /* no surrogates */
  } else if (c >= 0xF0 && c <= 0xF4) {
    more = 3;
    if (c == 0xF0)
      lo = 0x90;
    if (c == 0xF4)
      hi = 0x8F;
  } else {
    return 0;
  }
  if (n <= more || s[1] < lo || s[1] > hi)
    return 0;
  for (size_t i = 2; i <= more; i++)
    if ((s[i] & 0xC0) != 0x80)
      return 0;
  return more + 1;
}

/* Writes `n` bytes at `s` as a JSON string; ill-formed UTF-8 becomes
 * U+FFFD, so the reply is always valid JSON. */
static void put_json_string(buf *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0;
  buf_putc(b, '"');
  while (i < n) {
    size_t j = i;
    while (j < n && u[j] >= 0x20 && u[j] < 0x80 && u[j] != '"' && u[j] != '\\')
      j++;
    buf_put(b, s + i, j - i);
    if (j == n)
      break;
    i = j;
    unsigned char c = u[i];
    if (c >= 0x80) {
      size_t k = utf8_len(u + i, n - i);
      if (k) {
        buf_put(b, s + i, k);
        i += k;
      } else {
        buf_puts(b, "\\ufffd");
        i++;
      }
      continue;
    }
    i++;
    switch (c) {
    case '"':
      buf_puts(b, "\\\"");
      break;
    case '\\':
      buf_puts(b, "\\\\");
      break;
    case '\n':
      buf_puts(b, "\\n");
      break;
    case '\r':
      buf_puts(b, "\\r");
      break;
    case '\t':
      buf_puts(b, "\\t");
      break;
    case '\b':
      buf_puts(b, "\\b");
      break;
    case '\f':
      buf_puts(b, "\\f");
      break;
    default: {
      char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      buf_put(b, esc, sizeof esc);
    }
    }
  }
  buf_putc(b, '"');
}

/* A C string (NULL as "") as a JSON string. */
static void put_cstring(buf *b, const char *s) {
  put_json_string(b, s ? s : "", s ? strlen(s) : 0);
}

/* ---- Arenas: the values of one parsed document ---- */

typedef struct chunk {
  struct chunk *next;
  size_t used, size;
  max_align_t data[];
} chunk;

typedef struct {
  chunk *head;
} arena;

#define CHUNK_SIZE 65536

static void *arena_alloc(arena *a, size_t n) {
  n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
  chunk *c = a->head;
  if (!c || c->size - c->used < n) {
    size_t size = n > CHUNK_SIZE ? n : CHUNK_SIZE;
    c = malloc(sizeof(chunk) + size);
    if (!c)
      return NULL;
    c->used = 0;
    c->size = size;
    if (size > CHUNK_SIZE && a->head) { /* keep the head's free space */
      c->next = a->head->next;
      a->head->next = c;
    } else {
      c->next = a->head;
      a->head = c;
    }
  }
  void *p = (char *)c->data + c->used;
  c->used += n;
  return p;
}

static void arena_free(arena *a) {
  while (a->head) {
    chunk *next = a->head->next;
    free(a->head);
    a->head = next;
  }
}

/* ---- JSON parser ---- */

/* Items of the arrays and members of the objects being parsed, nested ones
 * on top; a finished container moves its own into the arena. */
static struct {
  pal_value *items;
  size_t len, cap;
} pending_items;

static struct {
  pal_member *members;
  size_t len, cap;
} pending_members;

static bool grow(void **data, size_t *cap, size_t len, size_t size) {
  if (len < *cap)
    return true;
  size_t n = *cap ? *cap * 2 : 64;
  if (n > SIZE_MAX / size)
    return false;
  void *p = realloc(*data, n * size);
  if (!p)
    return false;
  *data = p;
  *cap = n;
  return true;
}

typedef struct {
  char *s; /* the document; strings are decoded in place */
  size_t n, pos;
  unsigned depth;
  arena *arena;
  const char *error;
  size_t error_pos;
} parser;

static bool fail(parser *p, const char *message) {
  if (!p->error) {
    p->error = message;
    p->error_pos = p->pos;
  }
  return false;
}

static void skip_space(parser *p) {
  while (p->pos < p->n) {
    char c = p->s[p->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
      break;
    p->pos++;
  }
}

static bool is_digit(parser *p) {
  return p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9';
}

static bool parse_value(parser *p, pal_value *out);

static bool parse_hex4(parser *p, unsigned *out) {
  unsigned v = 0;
  if (p->n - p->pos < 4)
    return fail(p, "invalid \\u escape");
  for (int i = 0; i < 4; i++) {
    char c = p->s[p->pos + i];
    unsigned d;
    if (c >= '0' && c <= '9')
      d = (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
      d = (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      d = (unsigned)(c - 'A' + 10);
    else
      return fail(p, "invalid \\u escape");
    v = v * 16 + d;
  }
  p->pos += 4;
  *out = v;
  return true;
}

/* Reads the `\u` escape after the backslash at p->pos - 2 (a surrogate pair
 * takes two) and writes its UTF-8 at `dst`; returns the bytes written. */
static size_t parse_unicode_escape(parser *p, char *dst) {
  unsigned cp, lo;
  if (!parse_hex4(p, &cp))
    return 0;
  if (cp >= 0xDC00 && cp <= 0xDFFF)
    return fail(p, "lone surrogate in a \\u escape");
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    if (p->n - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
      return fail(p, "lone surrogate in a \\u escape");
    p->pos += 2;
    if (!parse_hex4(p, &lo))
      return 0;
    if (lo < 0xDC00 || lo > 0xDFFF)
      return fail(p, "lone surrogate in a \\u escape");
    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
  }
  if (cp < 0x80) {
    dst[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    dst[0] = (char)(0xC0 | cp >> 6);
    dst[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    dst[0] = (char)(0xE0 | cp >> 12);
    dst[1] = (char)(0x80 | (cp >> 6 & 0x3F));
    dst[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  dst[0] = (char)(0xF0 | cp >> 18);
  dst[1] = (char)(0x80 | (cp >> 12 & 0x3F));
  dst[2] = (char)(0x80 | (cp >> 6 & 0x3F));
  dst[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* A string at p->pos (the opening quote), decoded in place: the output never
 * outruns the input, so it ends at or before the closing quote, where a NUL
 * byte is written. */
static bool parse_string(parser *p, pal_str *out) {
  char *s = p->s;
  size_t start = ++p->pos, dst = start;
  for (;;) {
    if (p->pos >= p->n)
      return fail(p, "unterminated string");
    unsigned char c = (unsigned char)s[p->pos];
    if (c == '"')
      break;
    if (c < 0x20)
      return fail(p, "control character in a string");
    if (c >= 0x80) {
      size_t k = utf8_len((const unsigned char *)s + p->pos, p->n - p->pos);
      if (!k)
        return fail(p, "invalid UTF-8 in a string");
      memmove(s + dst, s + p->pos, k);
      dst += k;
      p->pos += k;
      continue;
    }
    if (c != '\\') {
      s[dst++] = (char)c;
      p->pos++;
      continue;
    }
    if (p->n - p->pos < 2)
      return fail(p, "unterminated string");
    char e = s[p->pos + 1];
    p->pos += 2;
    switch (e) {
    case '"':
    case '\\':
    case '/':
      s[dst++] = e;
      break;
    case 'b':
      s[dst++] = '\b';
      break;
    case 'f':
      s[dst++] = '\f';
      break;
    case 'n':
      s[dst++] = '\n';
      break;
    case 'r':
      s[dst++] = '\r';
      break;
    case 't':
      s[dst++] = '\t';
      break;
    case 'u': {
      size_t k = parse_unicode_escape(p, s + dst);
      if (!k)
        return false;
      dst += k;
      break;
    }
    default:
      p->pos -= 2;
      return fail(p, "invalid escape in a string");
    }
  }
  s[dst] = '\0';
  p->pos++;
  out->ptr = s + start;
  out->len = dst - start;
  return true;
}

static bool parse_number(parser *p, pal_value *out) {
  size_t start = p->pos;
  bool integer = true;
  if (p->s[p->pos] == '-')
    p->pos++;
  if (!is_digit(p))
    return fail(p, "invalid number");
  if (p->s[p->pos] == '0')
    p->pos++;
  else
    while (is_digit(p))
      p->pos++;
  if (p->pos < p->n && p->s[p->pos] == '.') {
    integer = false;
    p->pos++;
    if (!is_digit(p))
      return fail(p, "invalid number");
    while (is_digit(p))
      p->pos++;
  }
  if (p->pos < p->n && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
    integer = false;
    p->pos++;
    if (p->pos < p->n && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
      p->pos++;
    if (!is_digit(p))
      return fail(p, "invalid number");
    while (is_digit(p))
      p->pos++;
  }
  size_t len = p->pos - start;
  char small[64];
  char *text = len < sizeof small ? small : malloc(len + 1);
  if (!text)
    return fail(p, "out of memory");
  memcpy(text, p->s + start, len);
  text[len] = '\0';
  out->type = PAL_NUMBER;
  out->integer = integer;
  out->as.number = strtod(text, NULL);
  if (text != small)
    free(text);
  return true;
}

static bool parse_literal(parser *p, const char *word) {
  size_t n = strlen(word);
  if (p->n - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
    return fail(p, "expected a value");
  p->pos += n;
  return true;
}

/* Expects `close` or a comma after an item; sets *done on `close`. */
static bool parse_separator(parser *p, char close, bool *done) {
  skip_space(p);
  if (p->pos >= p->n)
    return fail(p, "unexpected end of input");
  char c = p->s[p->pos];
  if (c != ',' && c != close)
    return fail(p,
                close == ']' ? "expected ',' or ']'" : "expected ',' or '}'");
  p->pos++;
  *done = c == close;
  return true;
}

static bool parse_array(parser *p, pal_value *out) {
  size_t base = pending_items.len;
  bool done = false;
  p->pos++;
  skip_space(p);
  if (p->pos < p->n && p->s[p->pos] == ']') {
    p->pos++;
    done = true;
  }
  while (!done) {
    pal_value item;
    if (!parse_value(p, &item))
      return false;
    if (!grow((void **)&pending_items.items, &pending_items.cap,
              pending_items.len, sizeof(pal_value)))
      return fail(p, "out of memory");
    pending_items.items[pending_items.len++] = item;
    if (!parse_separator(p, ']', &done))
      return false;
  }
  size_t count = pending_items.len - base;
  pal_value *items = NULL;
  if (count) {
    items = arena_alloc(p->arena, count * sizeof *items);
    if (!items)
      return fail(p, "out of memory");
    memcpy(items, pending_items.items + base, count * sizeof *items);
  }
  pending_items.len = base;
  out->type = PAL_ARRAY;
  out->len = count;
  out->as.items = items;
  return true;
}

static bool parse_object(parser *p, pal_value *out) {
  size_t base = pending_members.len;
  bool done = false;
  p->pos++;
  skip_space(p);
  if (p->pos < p->n && p->s[p->pos] == '}') {
    p->pos++;
    done = true;
  }
  while (!done) {
    pal_member member;
    skip_space(p);
    if (p->pos >= p->n || p->s[p->pos] != '"')
      return fail(p, "expected a string key");
    if (!parse_string(p, &member.key))
      return false;
    skip_space(p);
    if (p->pos >= p->n || p->s[p->pos] != ':')
      return fail(p, "expected ':'");
    p->pos++;
    if (!parse_value(p, &member.value))
      return false;
    if (!grow((void **)&pending_members.members, &pending_members.cap,
              pending_members.len, sizeof(pal_member)))
      return fail(p, "out of memory");
    pending_members.members[pending_members.len++] = member;
    if (!parse_separator(p, '}', &done))
      return false;
  }
  size_t count = pending_members.len - base;
  pal_member *members = NULL;
  if (count) {
    members = arena_alloc(p->arena, count * sizeof *members);
    if (!members)
      return fail(p, "out of memory");
    memcpy(members, pending_members.members + base, count * sizeof *members);
  }
  pending_members.len = base;
  out->type = PAL_OBJECT;
  out->len = count;
  out->as.members = members;
  return true;
}

static bool parse_value(parser *p, pal_value *out) {
  memset(out, 0, sizeof *out);
  skip_space(p);
  if (p->pos >= p->n)
    return fail(p, "unexpected end of input");
  char c = p->s[p->pos];
  bool ok;
  switch (c) {
  case '{':
  case '[':
    if (++p->depth > MAX_DEPTH)
      return fail(p, "nested too deeply");
    ok = c == '{' ? parse_object(p, out) : parse_array(p, out);
    p->depth--;
    return ok;
  case '"':
    out->type = PAL_STRING;
    return parse_string(p, &out->as.string);
  case 't':
  case 'f':
    out->type = PAL_BOOL;
    out->as.boolean = c == 't';
    return parse_literal(p, c == 't' ? "true" : "false");
  case 'n':
    out->type = PAL_NULL;
    return parse_literal(p, "null");
  default:
    if (c == '-' || (c >= '0' && c <= '9'))
      return parse_number(p, out);
    return fail(p, "expected a value");
  }
}

/* Parses the `n` bytes at `s` (modified: strings are decoded in place) into
 * `out`, its values in `a`. On error, writes "what at byte N" to `error`. */
static bool parse_document(char *s, size_t n, arena *a, pal_value *out,
                           buf *error) {
  parser p = {.s = s, .n = n, .arena = a};
  pending_items.len = 0;
  pending_members.len = 0;
  if (parse_value(&p, out)) {
    skip_space(&p);
    if (p.pos == n)
      return true;
    fail(&p, "trailing characters after the document");
  }
  buf_puts(error, p.error);
  buf_puts(error, " at byte ");
  buf_put_uint(error, p.error_pos);
  return false;
}

/* ---- Reading values ---- */

static const pal_value NULL_VALUE = {.type = PAL_NULL};

bool pal_is_null(const pal_value *v) { return !v || v->type == PAL_NULL; }

bool pal_is_string(const pal_value *v) { return v && v->type == PAL_STRING; }

bool pal_is_object(const pal_value *v) { return v && v->type == PAL_OBJECT; }

bool pal_is_array(const pal_value *v) { return v && v->type == PAL_ARRAY; }

bool pal_str_eq_n(const pal_value *v, const char *s, size_t len) {
  return pal_is_string(v) && v->as.string.len == len &&
         memcmp(v->as.string.ptr, s, len) == 0;
}

bool pal_str_eq(const pal_value *v, const char *s) {
  return pal_str_eq_n(v, s, strlen(s));
}

bool pal_is_unknown(const pal_value *v) { return pal_str_eq(v, PAL_UNKNOWN); }

bool pal_same_string(const pal_value *a, const pal_value *b) {
  return pal_is_string(b) &&
         pal_str_eq_n(a, b->as.string.ptr, b->as.string.len);
}

size_t pal_len(const pal_value *v) {
  return v && (v->type == PAL_ARRAY || v->type == PAL_OBJECT) ? v->len : 0;
}

const pal_value *pal_at(const pal_value *array, size_t i) {
  return pal_is_array(array) && i < array->len ? &array->as.items[i] : NULL;
}

/* The member `key` of an object (the last one if repeated), else NULL. */
static const pal_member *member_n(const pal_value *object, const char *key,
                                  size_t len) {
  if (!pal_is_object(object))
    return NULL;
  for (size_t i = object->len; i-- > 0;) {
    const pal_member *m = &object->as.members[i];
    if (m->key.len == len && memcmp(m->key.ptr, key, len) == 0)
      return m;
  }
  return NULL;
}

const pal_value *pal_get_n(const pal_value *object, const char *key,
                           size_t len) {
  const pal_member *m = member_n(object, key, len);
  return m ? &m->value : NULL;
}

const pal_value *pal_get(const pal_value *object, const char *key) {
  return pal_get_n(object, key, strlen(key));
}

/* `key` in the other naming style (as the Rust SDK: `a_b` -> `aB`,
 * `aB` -> `a_b`), ASCII letters only; returns its length. */
static size_t other_style(const char *key, size_t n, char *out) {
  size_t len = 0;
  if (memchr(key, '_', n)) {
    bool upper = false;
    for (size_t i = 0; i < n; i++) {
      char c = key[i];
      if (c == '_' && i > 0)
        upper = true;
      else {
        out[len++] = upper && c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
        upper = false;
      }
    }
  } else {
    for (size_t i = 0; i < n; i++) {
      char c = key[i];
      if (c >= 'A' && c <= 'Z') {
        if (i > 0)
          out[len++] = '_';
        c = (char)(c + 32);
      }
      out[len++] = c;
    }
  }
  return len;
}

/* The member `key` in either naming style (see pal_lookup). */
static const pal_member *lookup_member(const pal_value *object,
                                       const char *key) {
  size_t n = strlen(key);
  const pal_member *found = member_n(object, key, n);
  if (found || !pal_is_object(object) || n > SIZE_MAX / 2)
    return found;
  char small[128];
  char *other = 2 * n <= sizeof small ? small : malloc(2 * n);
  if (!other)
    return NULL;
  size_t len = other_style(key, n, other);
  if (len != n || memcmp(other, key, n) != 0)
    found = member_n(object, other, len);
  if (other != small)
    free(other);
  return found;
}

const pal_value *pal_lookup(const pal_value *object, const char *key) {
  const pal_member *m = lookup_member(object, key);
  return m ? &m->value : NULL;
}

const pal_value *pal_prop(const pal_resource *r, const char *key) {
  return pal_lookup(r->props, key);
}

/* ---- Value states ---- */

bool pal_has_no_value(pal_state state) {
  return state == PAL_STATE_UNSET || state == PAL_STATE_ENCRYPTED ||
         state == PAL_STATE_UNKNOWN;
}

const char *pal_state_name(pal_state state) {
  switch (state) {
  case PAL_STATE_ABSENT:
    return "absent";
  case PAL_STATE_NULL:
    return "null";
  case PAL_STATE_UNSET:
    return "unset";
  case PAL_STATE_ENCRYPTED:
    return "encrypted";
  case PAL_STATE_UNKNOWN:
    return "unknown";
  case PAL_STATE_KNOWN:
    return "known";
  }
  return "?";
}

/* Whether the listed `path` (a JSON array of keys and indexes) is the path
 * of `ref` or a prefix of it. */
static bool is_prefix(const pal_value *path, const pal_ref *ref) {
  if (!pal_is_array(path) || path->len > ref->depth ||
      path->len > PAL_PATH_MAX)
    return false;
  for (size_t i = 0; i < path->len; i++) {
    const pal_value *step = pal_at(path, i);
    const pal_step *at = &ref->path[i];
    if (step->type == PAL_STRING) {
      if (at->is_index || at->key.len != step->as.string.len ||
          memcmp(at->key.ptr, step->as.string.ptr, at->key.len) != 0)
        return false;
    } else if (step->type == PAL_NUMBER && step->integer) {
      if (!at->is_index || step->as.number < 0 ||
          step->as.number != (double)at->index)
        return false;
    } else {
      return false;
    }
  }
  return true;
}

/* The state of the sentinel at `ref`'s path: that of the nearest path
 * listed in `encrypted` or `unset` that is it or a prefix of it (encrypted
 * wins a tie); unknown when none is. */
static pal_state covering(const pal_ref *ref) {
  const pal_value *lists[2] = {ref->resource->encrypted,
                               ref->resource->unset};
  const pal_state states[2] = {PAL_STATE_ENCRYPTED, PAL_STATE_UNSET};
  pal_state state = PAL_STATE_UNKNOWN;
  size_t best = 0;
  bool found = false;
  for (size_t l = 0; l < 2; l++) {
    for (size_t i = 0; i < pal_len(lists[l]); i++) {
      const pal_value *path = pal_at(lists[l], i);
      if (is_prefix(path, ref) && (!found || path->len > best)) {
        found = true;
        best = path->len;
        state = states[l];
      }
    }
  }
  return state;
}

/* Sets `ref`'s value and state from `v` (NULL: absent). */
static void settle(pal_ref *ref, const pal_value *v) {
  ref->value = NULL;
  if (!v)
    ref->state = PAL_STATE_ABSENT;
  else if (v->type == PAL_NULL)
    ref->state = PAL_STATE_NULL;
  else if (pal_is_unknown(v))
    ref->state = ref->resource ? covering(ref) : PAL_STATE_UNKNOWN;
  else {
    ref->state = PAL_STATE_KNOWN;
    ref->value = v;
  }
  if (ref->configured && ref->state == PAL_STATE_UNSET)
    ref->state = PAL_STATE_ABSENT;
}

pal_ref pal_ref_props(const pal_resource *r) {
  pal_ref ref = {.resource = r};
  settle(&ref, r ? r->props : NULL);
  return ref;
}

/* A child of `ref` at `step`: the same state when `ref` has no value here,
 * else the state of `v`. */
static pal_ref child(const pal_ref *ref, pal_step step, const pal_value *v) {
  pal_ref out = *ref;
  if (out.depth < PAL_PATH_MAX)
    out.path[out.depth] = step;
  out.depth++;
  if (!pal_has_no_value(ref->state))
    settle(&out, v);
  return out;
}

pal_ref pal_ref_get(const pal_ref *ref, const char *key) {
  const pal_member *m = lookup_member(ref->value, key);
  pal_step step = {.key = m ? m->key : (pal_str){key, strlen(key)}};
  return child(ref, step, m ? &m->value : NULL);
}

pal_ref pal_ref_at(const pal_ref *ref, size_t index) {
  pal_step step = {.index = index, .is_index = true};
  return child(ref, step, pal_at(ref->value, index));
}

pal_ref pal_ref_prop(const pal_resource *r, const char *key) {
  pal_ref root = pal_ref_props(r);
  return pal_ref_get(&root, key);
}

pal_ref pal_configured(const pal_ref *ref) {
  pal_ref out = *ref;
  out.configured = true;
  if (out.state == PAL_STATE_UNSET)
    out.state = PAL_STATE_ABSENT;
  return out;
}

pal_state pal_state_of(const pal_resource *r, const char *key) {
  return pal_ref_prop(r, key).state;
}

bool pal_is_type(const pal_resource *r, const char *const *types) {
  for (; types && *types; types++)
    if (r->type.len == strlen(*types) &&
        memcmp(r->type.ptr, *types, r->type.len) == 0)
      return true;
  return false;
}

/* ---- Replies ---- */

static buf reply;   /* the last reply, kept until the next call */
static buf scratch; /* messages being built */

static const char OUT_OF_MEMORY[] =
    "{\"error\":\"the C pack ran out of memory\"}";

static int64_t packed(const char *ptr, size_t len) {
  return (int64_t)((uint64_t)len << 32 | (uint32_t)(uintptr_t)ptr);
}

static int64_t send_reply(void) {
  if (reply.failed)
    return packed(OUT_OF_MEMORY, sizeof OUT_OF_MEMORY - 1);
  return packed(reply.data, reply.len);
}

/* `{"error": prefix + detail}`; a NULL detail is the scratch buffer's text. */
static int64_t send_error(const char *prefix, const char *detail) {
  buf message = {0};
  buf_puts(&message, prefix);
  if (detail)
    buf_puts(&message, detail);
  else
    buf_put(&message, scratch.data, scratch.len);
  buf_reset(&reply);
  buf_puts(&reply, "{\"error\":");
  put_json_string(&reply, message.data, message.len);
  buf_putc(&reply, '}');
  if (message.failed)
    reply.failed = true;
  free(message.data);
  return send_reply();
}

struct pal_report {
  const pal_policy *policy;
  const pal_resource *resource;
  size_t count; /* violations written */
  bool open, undecided;
  char *error; /* from pal_fail */
};

void pal_begin(pal_report *out, bool undecided) {
  if (out->open)
    pal_end(out);
  buf_reset(&scratch);
  out->open = true;
  out->undecided = undecided;
}

void pal_add_n(pal_report *out, const char *text, size_t len) {
  if (out->open)
    buf_put(&scratch, text, len);
}

void pal_add(pal_report *out, const char *text) {
  if (text)
    pal_add_n(out, text, strlen(text));
}

void pal_end(pal_report *out) {
  if (!out->open)
    return;
  out->open = false;
  if (scratch.failed)
    reply.failed = true;
  if (out->count++)
    buf_putc(&reply, ',');
  buf_puts(&reply, "{\"policy\":");
  put_cstring(&reply, out->policy->name);
  buf_puts(&reply, ",\"resource\":");
  put_json_string(&reply, out->resource->address.ptr,
                  out->resource->address.len);
  buf_puts(&reply, ",\"message\":");
  put_json_string(&reply, scratch.data, scratch.len);
  buf_puts(&reply,
           out->undecided ? ",\"undecided\":true}" : ",\"undecided\":false}");
}

void pal_violation(pal_report *out, const char *message) {
  pal_begin(out, false);
  pal_add(out, message);
  pal_end(out);
}

void pal_undecided(pal_report *out, const char *message) {
  pal_begin(out, true);
  pal_add(out, message);
  pal_end(out);
}

/* Appends `n` in decimal. */
static void add_uint(pal_report *out, size_t n) {
  if (out->open)
    buf_put_uint(&scratch, n);
}

/* Appends the path of `ref`: keys joined by `.`, indexes as `[0]`. */
static void add_path(pal_report *out, const pal_ref *ref) {
  size_t shown = ref->depth < PAL_PATH_MAX ? ref->depth : PAL_PATH_MAX;
  if (ref->depth == 0)
    pal_add(out, "props");
  for (size_t i = 0; i < shown; i++) {
    const pal_step *step = &ref->path[i];
    if (step->is_index) {
      pal_add(out, "[");
      add_uint(out, step->index);
      pal_add(out, "]");
    } else {
      if (i > 0)
        pal_add(out, ".");
      pal_add_n(out, step->key.ptr, step->key.len);
    }
  }
  if (ref->depth > shown)
    pal_add(out, "...");
}

void pal_add_reason(pal_report *out, const pal_ref *ref) {
  const char *why;
  switch (ref->state) {
  case PAL_STATE_UNSET:
    why = "` is not set in the configuration";
    break;
  case PAL_STATE_ENCRYPTED:
    why = "` is encrypted in this export (run `pulumi stack export "
          "--show-secrets`, or `pulumi policy analyze`)";
    break;
  case PAL_STATE_UNKNOWN:
    why = "` is known only after apply";
    break;
  default:
    return;
  }
  pal_add(out, "`");
  add_path(out, ref);
  pal_add(out, why);
}

bool pal_undecided_ref(pal_report *out, const pal_ref *ref) {
  if (!pal_has_no_value(ref->state))
    return false;
  pal_begin(out, true);
  pal_add_reason(out, ref);
  pal_end(out);
  return true;
}

void pal_fail(pal_report *out, const char *message) {
  if (!out->error)
    out->error = strdup(message ? message : "the policy failed");
}

/* ---- Input buffers handed out by palisade_alloc ---- */

typedef struct {
  char *ptr;
  size_t size;
} input;

static struct {
  input *items;
  size_t len, cap;
} inputs;

/* Takes the buffer at `addr` out of the registry; false (with the reason in
 * scratch) when it is not one or `len` exceeds it. */
static bool take_input(int32_t addr, int32_t len, char **out) {
  buf_reset(&scratch);
  for (size_t i = 0; i < inputs.len; i++) {
    input in = inputs.items[i];
    if ((uint32_t)(uintptr_t)in.ptr != (uint32_t)addr)
      continue;
    inputs.items[i] = inputs.items[--inputs.len];
    if ((uint32_t)len <= in.size) {
      *out = in.ptr;
      return true;
    }
    free(in.ptr);
    buf_puts(&scratch, "input length ");
    buf_put_uint(&scratch, (uint32_t)len);
    buf_puts(&scratch, " exceeds the ");
    buf_put_uint(&scratch, in.size);
    buf_puts(&scratch, " bytes allocated at address ");
    buf_put_uint(&scratch, (uint32_t)addr);
    return false;
  }
  buf_puts(&scratch, "input buffer at address ");
  buf_put_uint(&scratch, (uint32_t)addr);
  buf_puts(&scratch,
           " was not allocated by palisade_alloc (or was already used)");
  return false;
}

/* ---- The loaded batch ---- */

static struct {
  bool loaded;
  char *text; /* the batch document, which parsed strings point into */
  arena values;
  pal_resource *resources;
  size_t count;
} batch;

static void unload(void) {
  free(batch.text);
  arena_free(&batch.values);
  free(batch.resources);
  memset(&batch, 0, sizeof batch);
}

static pal_str string_or(const pal_value *v, const char *fallback) {
  if (pal_is_string(v))
    return v->as.string;
  return (pal_str){fallback, strlen(fallback)};
}

/* Fills batch.resources from the parsed document; false with the reason in
 * scratch. */
static bool index_batch(const pal_value *doc) {
  const pal_value *list = pal_get(doc, "resources");
  buf_reset(&scratch);
  if (!pal_is_array(list)) {
    buf_puts(&scratch, "\"resources\" must be an array");
    return false;
  }
  batch.count = list->len;
  batch.resources = calloc(list->len ? list->len : 1, sizeof(pal_resource));
  if (!batch.resources) {
    buf_puts(&scratch, "out of memory");
    return false;
  }
  for (size_t i = 0; i < list->len; i++) {
    const pal_value *v = pal_at(list, i);
    const pal_value *address = pal_get(v, "address"),
                    *type = pal_get(v, "type");
    const pal_value *before = pal_get(v, "before");
    pal_resource *r = &batch.resources[i];
    if (!pal_is_string(address) || !pal_is_string(type)) {
      buf_puts(&scratch, "resource ");
      buf_put_uint(&scratch, i);
      buf_puts(&scratch, " needs a string \"address\" and \"type\"");
      return false;
    }
    r->index = i;
    r->address = address->as.string;
    r->type = type->as.string;
    r->name = string_or(pal_get(v, "name"), "");
    r->provider = string_or(pal_get(v, "provider"), "");
    r->kind = string_or(pal_get(v, "kind"), "managed");
    r->op = string_or(pal_get(v, "op"), "no-op");
    r->source = string_or(pal_get(v, "source"), "");
    r->props = pal_get(v, "props");
    if (!r->props)
      r->props = &NULL_VALUE;
    r->before = pal_is_null(before) ? NULL : before;
    r->secret = pal_get(v, "secret");
    r->unset = pal_get(v, "unset");
    r->encrypted = pal_get(v, "encrypted");
  }
  return true;
}

/* ---- Exports ---- */

EXPORT("palisade_abi_version") int32_t palisade_abi_version(void) { return 1; }

EXPORT("palisade_alloc") int32_t palisade_alloc(int32_t len) {
  if (len < 0 ||
      !grow((void **)&inputs.items, &inputs.cap, inputs.len, sizeof(input)))
    return 0;
  char *ptr = calloc(len ? (size_t)len : 1, 1);
  if (!ptr)
    return 0;
  inputs.items[inputs.len++] = (input){ptr, (size_t)len};
  return (int32_t)(uintptr_t)ptr;
}

/* Checks that a policy's config schema is JSON; false with the reason in
 * `error`. */
static bool check_schema(const char *schema, buf *error) {
  size_t n = strlen(schema);
  char *copy = malloc(n + 1);
  arena values = {0};
  pal_value doc;
  if (!copy) {
    buf_puts(error, "out of memory");
    return false;
  }
  memcpy(copy, schema, n + 1);
  bool ok = parse_document(copy, n, &values, &doc, error);
  arena_free(&values);
  free(copy);
  return ok;
}

EXPORT("palisade_describe") int64_t palisade_describe(void) {
  const pal_pack *pack = &PALISADE_PACK;
  buf_reset(&reply);
  buf_puts(&reply, "{\"name\":");
  put_cstring(&reply, pack->name);
  buf_puts(&reply, ",\"version\":");
  put_cstring(&reply, pack->version);
  if (pack->description) {
    buf_puts(&reply, ",\"description\":");
    put_cstring(&reply, pack->description);
  }
  buf_puts(&reply, ",\"policies\":[");
  for (size_t i = 0; i < pack->policy_count; i++) {
    const pal_policy *p = &pack->policies[i];
    const char *schema =
        p->config_schema ? p->config_schema : "{\"type\":\"object\"}";
    buf_reset(&scratch);
    buf_puts(&scratch, "policy ");
    put_cstring(&scratch, p->name);
    buf_puts(&scratch, ": config_schema is not JSON: ");
    if (!check_schema(schema, &scratch))
      return send_error("", NULL);
    buf_puts(&reply, i ? ",{\"name\":" : "{\"name\":");
    put_cstring(&reply, p->name);
    buf_puts(&reply, ",\"description\":");
    put_cstring(&reply, p->description);
    buf_puts(&reply, ",\"severity\":");
    put_cstring(&reply, p->severity);
    buf_puts(&reply, ",\"enforcement_level\":");
    put_cstring(&reply, p->enforcement_level);
    buf_puts(&reply, ",\"kind\":\"resource\",\"resource_types\":[");
    for (const char *const *t = p->resource_types; t && *t; t++) {
      if (t != p->resource_types)
        buf_putc(&reply, ',');
      put_cstring(&reply, *t);
    }
    buf_puts(&reply, "],\"config_schema\":");
    buf_puts(&reply, schema);
    if (p->help) {
      buf_puts(&reply, ",\"help\":");
      put_cstring(&reply, p->help);
    }
    buf_putc(&reply, '}');
  }
  buf_puts(&reply, "]}");
  return send_reply();
}

EXPORT("palisade_load") int64_t palisade_load(int32_t addr, int32_t len) {
  char *text;
  pal_value doc;
  unload();
  if (!take_input(addr, len, &text))
    return send_error("", NULL);
  batch.text = text;
  buf_reset(&scratch);
  if (!parse_document(text, (uint32_t)len, &batch.values, &doc, &scratch) ||
      !index_batch(&doc)) {
    unload();
    return send_error("invalid batch: ", NULL);
  }
  batch.loaded = true;
  return 0;
}

/* Runs the request `req` into the reply; returns an error message or NULL.
 * The message is in scratch when it is "". */
static const char *evaluate(const pal_value *req) {
  const pal_value *name = pal_get(req, "policy");
  const pal_value *config = pal_get(req, "config");
  const pal_value *targets = pal_get(req, "targets");
  const pal_policy *policy = NULL;
  buf_reset(&scratch);
  if (!pal_is_object(req))
    return "invalid evaluate request: expected an object";
  if (!pal_is_string(name))
    return "invalid evaluate request: \"policy\" must be a string";
  if (targets && !pal_is_array(targets))
    return "invalid evaluate request: \"targets\" must be an array";
  for (size_t i = 0; i < pal_len(targets); i++) {
    const pal_value *t = pal_at(targets, i);
    if (t->type != PAL_NUMBER || !t->integer || t->as.number < 0)
      return "invalid evaluate request: \"targets\" must hold indexes";
  }
  if (!batch.loaded)
    return "no batch is loaded: call palisade_load first";
  for (size_t i = 0; i < PALISADE_PACK.policy_count && !policy; i++)
    if (pal_str_eq(name, PALISADE_PACK.policies[i].name))
      policy = &PALISADE_PACK.policies[i];
  if (!policy) {
    buf_puts(&scratch, "pack ");
    put_cstring(&scratch, PALISADE_PACK.name);
    buf_puts(&scratch, " has no policy ");
    put_json_string(&scratch, name->as.string.ptr, name->as.string.len);
    return "";
  }
  for (size_t i = 0; i < pal_len(targets); i++) {
    double t = pal_at(targets, i)->as.number;
    if (t >= (double)batch.count) {
      buf_puts(&scratch, "target ");
      if (t < 9007199254740992.0)
        buf_put_uint(&scratch, (size_t)t);
      else
        buf_puts(&scratch, "(huge)");
      buf_puts(&scratch, " is out of range: the batch has ");
      buf_put_uint(&scratch, batch.count);
      buf_puts(&scratch, " resources");
      return "";
    }
  }
  pal_report report = {.policy = policy};
  buf_reset(&reply);
  buf_puts(&reply, "{\"violations\":[");
  for (size_t i = 0; i < pal_len(targets) && !report.error; i++) {
    report.resource = &batch.resources[(size_t)pal_at(targets, i)->as.number];
    if (policy->check)
      policy->check(report.resource, config ? config : &NULL_VALUE, &report);
    pal_end(&report);
  }
  buf_puts(&reply, "]}");
  if (report.error) {
    buf_reset(&scratch);
    buf_puts(&scratch, report.error);
    free(report.error);
    return "";
  }
  return NULL;
}

EXPORT("palisade_evaluate")
int64_t palisade_evaluate(int32_t addr, int32_t len) {
  char *text;
  arena values = {0};
  pal_value req;
  if (!take_input(addr, len, &text))
    return send_error("", NULL);
  buf_reset(&scratch);
  if (!parse_document(text, (uint32_t)len, &values, &req, &scratch)) {
    arena_free(&values);
    free(text);
    return send_error("invalid evaluate request: ", NULL);
  }
  const char *error = evaluate(&req);
  arena_free(&values);
  free(text);
  if (error)
    return *error ? send_error(error, "") : send_error("", NULL);
  return send_reply();
}
