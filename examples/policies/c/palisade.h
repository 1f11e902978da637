/*
 * palisade.h: the helper layer for Palisade policy packs written in C
 * (guest ABI v1, sdk/ABI.md).
 *
 * palisade.c implements the ABI exports, reads the batch and request JSON
 * documents and writes the replies. A policy file only defines the pack:
 *
 *     static void check_x(const pal_resource *r, const pal_value *config,
 *                         pal_report *out) { ... pal_violation(out, "..."); }
 *     static const pal_policy POLICIES[] = {{.name = "x", ..., .check =
 * check_x}}; const pal_pack PALISADE_PACK = {.name = "p", .version = "1.0.0",
 *                                     .policies = POLICIES,
 *                                     .policy_count = PAL_COUNT(POLICIES)};
 *
 * Every pointer handed to a check function stays valid for that call only.
 */
#ifndef PALISADE_H
#define PALISADE_H

#include <stdbool.h>
#include <stddef.h>

/* Pulumi's unknown sentinel: a value known only after apply (ABI section 4). */
#define PAL_UNKNOWN "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

/* The number of elements of a static array. */
#define PAL_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A run of UTF-8 bytes; `ptr[len]` is a NUL byte, but `ptr` may also hold
 * NUL bytes (from `\u0000`), so compare with `len`. */
typedef struct {
  const char *ptr;
  size_t len;
} pal_str;

typedef enum {
  PAL_NULL,
  PAL_BOOL,
  PAL_NUMBER,
  PAL_STRING,
  PAL_ARRAY,
  PAL_OBJECT,
} pal_type;

typedef struct pal_value pal_value;
typedef struct pal_member pal_member;

/* A JSON value. Read it with the functions below, which all accept NULL
 * (an absent value) and values of the wrong type. */
struct pal_value {
  pal_type type;
  bool integer; /* a number written without fraction or exponent */
  size_t len;   /* items of an array, members of an object */
  union {
    bool boolean;
    double number;
    pal_str string;
    const pal_value *items;
    const pal_member *members;
  } as;
};

struct pal_member {
  pal_str key;
  pal_value value;
};

/* One resource of the batch (ABI section 4). Absent string fields are empty
 * (`kind` "managed", `op` "no-op"); `props` is never NULL (a JSON null when
 * absent); `before` and `secret` are NULL when absent. */
typedef struct {
  size_t index; /* in the batch */
  pal_str address, type, name, provider, kind, op, source;
  const pal_value *props, *before, *secret;
} pal_resource;

/* Where a check function reports its findings. */
typedef struct pal_report pal_report;

typedef void (*pal_check_fn)(const pal_resource *r, const pal_value *config,
                             pal_report *out);

/* One resource policy (ABI section 3). */
typedef struct {
  const char *name;
  const char *description;
  const char *severity;          /* low, medium, high, critical */
  const char *enforcement_level; /* advisory, mandatory, remediate, disabled */
  const char *const *resource_types; /* NULL-terminated; NULL: every type */
  const char *config_schema;         /* JSON text; NULL: {"type":"object"} */
  const char *help;                  /* NULL: none */
  pal_check_fn check;                /* called once per target resource */
} pal_policy;

/* The pack, defined by the policy file under the name PALISADE_PACK. */
typedef struct {
  const char *name;
  const char *version;
  const char *description; /* NULL: none */
  const pal_policy *policies;
  size_t policy_count;
} pal_pack;

extern const pal_pack PALISADE_PACK;

/* Reading values. */
bool pal_is_null(const pal_value *v); /* absent or JSON null */
bool pal_is_string(const pal_value *v);
bool pal_is_object(const pal_value *v);
bool pal_is_array(const pal_value *v);
bool pal_is_unknown(const pal_value *v); /* the string PAL_UNKNOWN */
/* Whether `v` is the string `s` / the `len` bytes at `s`. */
bool pal_str_eq(const pal_value *v, const char *s);
bool pal_str_eq_n(const pal_value *v, const char *s, size_t len);
/* Whether `a` and `b` are both strings with the same bytes. */
bool pal_same_string(const pal_value *a, const pal_value *b);
/* Items of an array, members of an object, 0 for anything else. */
size_t pal_len(const pal_value *v);
/* Item `i` of an array; NULL when out of range or not an array. */
const pal_value *pal_at(const pal_value *array, size_t i);
/* The member `key` of an object (the last one if repeated); NULL when
 * absent or not an object. */
const pal_value *pal_get(const pal_value *object, const char *key);
const pal_value *pal_get_n(const pal_value *object, const char *key,
                           size_t len);
/* Like pal_get, but also tries the other naming style (`cidr_blocks` and
 * `cidrBlocks`): Terraform uses snake_case, Pulumi camelCase. */
const pal_value *pal_lookup(const pal_value *object, const char *key);
/* pal_lookup(r->props, key): a top-level property in either style. */
const pal_value *pal_prop(const pal_resource *r, const char *key);
/* Whether the resource's type is one of the NULL-terminated `types`. */
bool pal_is_type(const pal_resource *r, const char *const *types);

/* Reporting. A violation names the resource being checked; `undecided`
 * ones say that a value needed to decide is unknown. */
void pal_violation(pal_report *out, const char *message);
void pal_undecided(pal_report *out, const char *message);
/* A message built piece by piece: pal_begin, pal_add..., pal_end. */
void pal_begin(pal_report *out, bool undecided);
void pal_add(pal_report *out, const char *text);
void pal_add_n(pal_report *out, const char *text, size_t len);
void pal_end(pal_report *out);
/* Fails the whole request (`{"error": message}`), e.g. on a bad config. */
void pal_fail(pal_report *out, const char *message);

#endif
